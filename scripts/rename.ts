// `npm run rename -- <new-name>`: renames the service everywhere in the working tree, for a team
// that takes it as the base of its own: the package names, the SERVICE_NAME default (answers,
// logs, the OpenAPI title, telemetry's service.name), the CDK settings' serviceName and the ECR
// repositories (`<name>s/app`, `<name>s/nginx`), hence the stacks, roles, log groups, alarms and
// dashboard named from them, the images' local tags, the docs and the tests. It replaces the
// current name (package.json's `name`) in each of its spellings (kebab-case, snake_case,
// SCREAMING_SNAKE, PascalCase, camelCase, Title Case) in every file git tracks, and nothing else:
// renaming back gives the tree it started from, unless the new name was in it already
// (.ci/checks/38-rename.sh checks both).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SettingsSchema } from '../deploy/infra/lib/settings.ts'

const root = join(import.meta.dirname, '..')

/**
 * What a service may be called: the CDK settings' own rule for serviceName (lower-case letters,
 * digits and hyphens, a letter first, 2 to 31 characters: every AWS name built from it fits),
 * and a hyphen neither last nor doubled, so each spelling can be turned back into it.
 */
export const NAME = new RegExp(`${SettingsSchema.properties.serviceName.pattern}`)
export function nameError (name: string): string | undefined {
  if (!NAME.test(name)) return `"${name}" is not a service name: lower-case letters, digits and hyphens, a letter first, 2 to 31 characters (${NAME.source})`
  if (name.endsWith('-') || name.includes('--')) return `"${name}" is not a service name: no hyphen at the end, none doubled`
  return undefined
}

/**
 * The spellings of a kebab-case name, each as code and prose write it. A one-word name has one:
 * its other spellings (Orders, ORDERS) are ordinary words, not the service's name.
 */
export function spellings (name: string): string[] {
  const words = name.split('-')
  if (words.length === 1) return [name]
  const capital = (w: string) => w.charAt(0).toUpperCase() + w.slice(1)
  return [
    name,
    words.join('_'),
    words.join('_').toUpperCase(),
    words.map(capital).join(''),
    words[0] + words.slice(1).map(capital).join(''),
    words.map(capital).join(' ')
  ]
}

/** `text` with every spelling of `from` replaced by the same spelling of `to`. */
export function renameText (text: string, from: string, to: string): string {
  const before = spellings(from)
  const after = spellings(to)
  // Longest first, so one spelling is never replaced inside another. A one-word name given more
  // words has its one spelling renamed to the kebab-case of the new one.
  const pairs = before.map((s, i) => [s, after[i] ?? after[0]] as const).sort(([a], [b]) => b.length - a.length)
  const pattern = new RegExp(pairs.map(([s]) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
  const to_ = new Map(pairs)
  return text.replace(pattern, (found) => to_.get(found) ?? found)
}

/** The files git tracks in `dir`, as paths relative to it. */
export function trackedFiles (dir: string): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: dir, encoding: 'utf8' }).split('\0').filter(Boolean)
}

/** Renames the service in `dir` from its package.json's name to `to`; returns the files changed. */
export function renameService (dir: string, to: string): { from: string, changed: string[], holding: string[] } {
  const from = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name
  const error = nameError(to)
  if (error) throw new Error(error)
  if (to === from) throw new Error(`the service is called ${from} already`)
  const texts = new Map<string, string>()
  for (const file of trackedFiles(dir)) {
    if (file.includes(from)) throw new Error(`${file}: a path with the name in it (rename it by hand with git mv first)`)
    const bytes = readFileSync(join(dir, file))
    if (!bytes.includes(0)) texts.set(file, bytes.toString('utf8')) // binary files are left alone
  }
  // Where the new name is in the tree already (an example in the docs), renaming back would
  // rename that too: said, not refused.
  const holding = [...texts].filter(([, text]) => spellings(to).some((s) => text.includes(s))).map(([file]) => file)
  const changed: string[] = []
  for (const [file, text] of texts) {
    const renamed = renameText(text, from, to)
    if (renamed === text) continue
    writeFileSync(join(dir, file), renamed)
    changed.push(file)
  }
  return { from, changed, holding }
}

if (import.meta.main) {
  const [to, ...rest] = process.argv.slice(2)
  if (!to || rest.length) {
    console.error('usage: npm run rename -- <new-name>   (e.g. npm run rename -- orders-api)')
    process.exit(2)
  }
  try {
    const { from, changed, holding } = renameService(root, to)
    console.log(`renamed ${from} to ${to} in ${changed.length} files:\n${changed.map((f) => `  ${f}`).join('\n')}`)
    if (holding.length) console.log(`${to} was in the tree before (${holding.join(', ')}): renaming back would rename it there too.`)
    console.log(`Next: npm test; then a first deploy makes the new stacks (${to}-account, ${to}-<stage>-…) and ECR repositories: what runs in AWS under the old name is not renamed there.`)
  } catch (err) {
    console.error(`rename: ${(err as Error).message}`)
    process.exit(1)
  }
}
