import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import t from 'tap'
import { ConfigSchema } from '../../config/schema.ts'
import { differences, PAGE, renderConfigReference } from '../../scripts/config-reference.ts'

const root = join(import.meta.dirname, '..', '..')
const SCRIPT = join(root, 'scripts', 'config-reference.ts')

t.test('docs/configuration.md is what the schema gives: a description changed without `node scripts/config-reference.ts` fails here', async (t) => {
  const committed = readFileSync(PAGE, 'utf8')
  const generated = renderConfigReference()
  t.same(differences(committed, generated), [], 'no line differs')
  t.equal(committed, generated, 'run `node scripts/config-reference.ts` and commit docs/configuration.md')
})

t.test('one row per variable, in the schema\'s order, each with its description, default and bounds', async (t) => {
  const rows = renderConfigReference().split('\n').filter((line) => line.startsWith('| `'))
  t.same(rows.map((row) => /^\| `(\w+)`/.exec(row)?.[1]), Object.keys(ConfigSchema.properties))
  const row = (name: string) => rows.find((r) => r.startsWith(`| \`${name}\` |`))
  t.equal(row('PORT'), '| `PORT` | integer | `3000` | 0–65535 | Port the server listens on; `0`: any free port (tests) |')
  t.match(row('NODE_ENV'), /^\| `NODE_ENV` \| one of `development`, `production`, `test` \| `development` \| {2}\| /)
  t.match(row('DB_SSL'), /^\| `DB_SSL` \| one of `disable`, `require`, `verify-full` \| — \| {2}\| TLS to the database/, 'optional, no default: a dash')
  t.match(row('REDIS_KEY_PREFIX'), '| (empty) |', 'an empty default is said')
  t.match(row('OTEL_TRACES_EXPORTER'), 'matches `^\\s*(otlp\\|console\\|none)', 'a pattern\'s pipes are escaped, so the table keeps its columns')
  for (const line of rows) t.equal(line.split(/(?<!\\)\|/).length, 7, `five cells: ${line.slice(0, 40)}`)
})

t.test('the page follows the schema: a description, a default or a bound changed is a changed page', async (t) => {
  const page = renderConfigReference()
  const changed = (name: string, property: object) => renderConfigReference(Type.Object({ ...ConfigSchema.properties, [name]: property }))
  t.not(changed('DB_POOL_MAX', { ...ConfigSchema.properties.DB_POOL_MAX, description: 'Another meaning' }), page, 'description')
  t.not(changed('DB_POOL_MAX', { ...ConfigSchema.properties.DB_POOL_MAX, default: 11 }), page, 'default')
  t.not(changed('DB_POOL_MAX', { ...ConfigSchema.properties.DB_POOL_MAX, maximum: 100 }), page, 'bound')
  t.equal(renderConfigReference(), page, 'the same schema gives the same page')
})

t.test('a variable without a description stops the generation, naming it', async (t) => {
  t.throws(() => renderConfigReference(Type.Object({ NEW_SETTING: Type.Integer({ default: 1 }) })), /NEW_SETTING: the schema gives it no description/)
  t.throws(() => renderConfigReference(Type.Object({ ODD: Type.Array(Type.String(), { description: 'a list' }) })), /ODD: no rendering for a schema of kind Array/)
})

t.test('`--check` exits 0 on the committed page, and 1 on a stale one with the command to run and the lines that differ', async (t) => {
  t.equal(spawnSync(process.execPath, [SCRIPT, '--check'], { cwd: root, encoding: 'utf8' }).status, 0, 'the committed page')
  const dir = mkdtempSync(join(tmpdir(), 'config-reference-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const stale = join(dir, 'configuration.md')
  writeFileSync(stale, renderConfigReference().replace('Prefix of every Redis key', 'Prefix of some Redis keys'))
  const run = spawnSync(process.execPath, [SCRIPT, '--check', stale], { cwd: root, encoding: 'utf8' })
  t.equal(run.status, 1)
  t.match(run.stderr, 'run `node scripts/config-reference.ts` and commit the page')
  t.match(run.stderr, /- \| `REDIS_KEY_PREFIX` .*Prefix of some Redis keys/)
  t.match(run.stderr, /\+ \| `REDIS_KEY_PREFIX` .*Prefix of every Redis key/)
  t.equal(readFileSync(stale, 'utf8').includes('Prefix of some Redis keys'), true, '--check writes nothing')
})
