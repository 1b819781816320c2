import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { build, query, testDatabaseUrl } from './helper.ts'

const run = promisify(execFile)

t.test('three instances starting at once on an empty database apply the migrations once', async (t) => {
  const apps = await Promise.all([build(t), build(t), build(t)])
  const versions = await query<{ version: string }>('SELECT version FROM schemaversion ORDER BY version')
  t.same(versions.map((v) => Number(v.version)), [0, 1, 2], 'each migration recorded once (0 is postgrator\'s base row)')
  for (const app of apps) t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
})

t.test('npm run migrate applies pending migrations and then reports the schema up to date', async (t) => {
  const script = join(import.meta.dirname, '..', 'scripts', 'migrate.ts')
  const { stdout } = await run(process.execPath, [script], { env: { ...process.env, DATABASE_URL: await testDatabaseUrl() } })
  t.match(stdout, /schema up to date|applied migrations/)
  const again = await run(process.execPath, [script], { env: { ...process.env, DATABASE_URL: await testDatabaseUrl() } })
  t.match(again.stdout, /schema up to date/)
  const failed = await run(process.execPath, [script], { env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', DB_CONNECTION_TIMEOUT_MS: '500' } }).catch((err) => err)
  t.equal(failed.code, 1, 'exit 1 when the database cannot be reached')
  t.match(failed.stderr, /migration failed/)
})
