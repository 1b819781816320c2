// `node scripts/config-reference.ts [--check] [page]`: writes docs/configuration.md from
// ConfigSchema (config/schema.ts), the one place the variables are written down. With --check it
// writes nothing and exits 1 when the page differs from what the schema gives.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { Kind, KindGuard, OptionalKind, type TObject, type TSchema } from '@sinclair/typebox'
import { ConfigSchema } from '../config/schema.ts'

const root = join(import.meta.dirname, '..')
export const PAGE = join(root, 'docs', 'configuration.md')
const COMMAND = 'node scripts/config-reference.ts'

const INTRO = `# Configuration

The service reads the environment variables below, validated once at start-up against
\`ConfigSchema\` (\`config/schema.ts\`, with the OpenTelemetry variables of \`config/telemetry.ts\`):
defaults applied, strings converted, and a wrong value stops start-up with a message naming the
variable. An empty value counts as unset. The rest of the code reads the typed \`fastify.config\`,
never \`process.env\`.

The \`OTEL_*\` variables are [OpenTelemetry's own](https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
read by its SDK: unset means the SDK's default. \`NODE_OPTIONS\` is Node.js's, not the service's:
\`npm start\` passes V8's heap bounds from \`package.json\` (\`config.node_options\`).

This page is generated from the schema by \`${COMMAND}\`. Do not edit it: change the
schema (a variable's \`description\` says what it does) and run the command again.
\`${COMMAND} --check\` and \`test/unit/config-reference.test.ts\` fail when the page
and the schema differ.
`

/** A table cell: one line, its pipes escaped (GitHub's tables split on them, even in code). */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|')
const code = (value: unknown) => `\`${String(value)}\``

function typeOf (name: string, schema: TSchema): string {
  if (KindGuard.IsUnion(schema) && schema.anyOf.every((s) => KindGuard.IsLiteral(s))) {
    return `one of ${schema.anyOf.map((s) => code(s.const)).join(', ')}`
  }
  if (KindGuard.IsLiteral(schema)) return code(schema.const)
  if (KindGuard.IsBoolean(schema)) return 'boolean (`true`, `false`)'
  if (KindGuard.IsInteger(schema)) return 'integer'
  if (KindGuard.IsNumber(schema)) return 'number'
  if (KindGuard.IsString(schema)) return 'string'
  // A kind this page cannot say yet stops the generation rather than being printed wrong.
  throw new Error(`${name}: no rendering for a schema of kind ${String(schema[Kind])}`)
}

function boundsOf (schema: TSchema): string {
  const bounds: string[] = []
  const { minimum, maximum, minLength, maxLength, pattern } = schema as { minimum?: number, maximum?: number, minLength?: number, maxLength?: number, pattern?: string }
  if (minimum !== undefined && maximum !== undefined) bounds.push(`${minimum}–${maximum}`)
  else if (minimum !== undefined) bounds.push(`≥ ${minimum}`)
  else if (maximum !== undefined) bounds.push(`≤ ${maximum}`)
  if (minLength === 1) bounds.push('not empty')
  else if (minLength !== undefined) bounds.push(`at least ${minLength} characters`)
  if (maxLength !== undefined) bounds.push(`at most ${maxLength} characters`)
  if (pattern !== undefined) bounds.push(`matches ${code(pattern)}`)
  return bounds.join('; ')
}

function defaultOf (schema: TSchema): string {
  if (schema.default === '') return '(empty)'
  if (schema.default !== undefined) return code(schema.default)
  return OptionalKind in schema ? '—' : 'required'
}

/** The page, from the schema: one row per variable, in the schema's order. */
export function renderConfigReference (schema: TObject = ConfigSchema): string {
  const rows = Object.entries(schema.properties).map(([name, property]) => {
    const { description } = property
    if (typeof description !== 'string' || description.trim() === '') throw new Error(`${name}: the schema gives it no description`)
    return `| ${[code(name), typeOf(name, property), defaultOf(property), boundsOf(property), description].map(cell).join(' | ')} |`
  })
  return [
    INTRO,
    '| variable | type or values | default | bounds | description |',
    '|---|---|---|---|---|',
    ...rows,
    ''
  ].join('\n')
}

/** Where `actual` departs from `expected`: the first `max` differing lines, numbered, as -/+. */
export function differences (actual: string, expected: string, max = 5): string[] {
  const a = actual.split('\n')
  const e = expected.split('\n')
  const lines: string[] = []
  for (let i = 0; i < Math.max(a.length, e.length) && lines.length < 2 * max; i++) {
    if (a[i] === e[i]) continue
    if (a[i] !== undefined) lines.push(`line ${i + 1} - ${a[i]}`)
    if (e[i] !== undefined) lines.push(`line ${i + 1} + ${e[i]}`)
  }
  return lines
}

if (import.meta.main) {
  const args = process.argv.slice(2)
  const check = args.includes('--check')
  const page = args.find((a) => !a.startsWith('--')) ?? PAGE
  const shown = relative(process.cwd(), page)
  const generated = renderConfigReference()
  if (check) {
    let committed = ''
    try {
      committed = readFileSync(page, 'utf8')
    } catch {}
    if (committed !== generated) {
      console.error(`${shown} differs from the schema (config/schema.ts, config/telemetry.ts): run \`${COMMAND}\` and commit the page.`)
      console.error(`- the page, + what the schema gives:\n${differences(committed, generated).join('\n')}`)
      process.exitCode = 1
    }
  } else {
    mkdirSync(dirname(page), { recursive: true })
    writeFileSync(page, generated)
    console.log(`wrote ${shown}`)
  }
}
