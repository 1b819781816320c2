import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { build, serverTests } from './helper.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

const run = promisify(execFile)
const REDOCLY = join(import.meta.dirname, '..', 'node_modules', '.bin', 'redocly')

interface LintReport { totals: { errors: number, warnings: number }, problems: Array<{ ruleId: string, message: string }> }

t.test('the OpenAPI document passes `redocly lint` with the recommended rules: zero errors, zero warnings', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'openapi.json')
  writeFileSync(file, res.body)
  // Exit 1 when there are errors: the report is on stdout either way.
  const { stdout } = await run(REDOCLY, ['lint', '--extends', 'recommended', '--format', 'json', file], {
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }
  }).catch((err: { stdout: string }) => err)
  const report = JSON.parse(stdout) as LintReport
  t.same(report.problems.map((p) => `${p.ruleId}: ${p.message}`), [], 'no problem reported')
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 })
})

t.test('every operation has a stable operationId, unique in the document, and declares its security', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ security: unknown[], paths: Record<string, Record<string, { operationId?: string }>> }>()
  const ids = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`))
  t.same(ids.sort(), [
    'GET / getWelcome',
    'GET /api/cache-test incrementCounter',
    'GET /api/info getInfo',
    'GET /api/stats getStats',
    'GET /api/users listUsers',
    'GET /api/users/{id} getUser',
    'GET /health getReadiness',
    'GET /health/live getLiveness',
    'POST /api/users createUser'
  ])
  t.same(doc.security, [], 'no operation takes credentials, said explicitly')
})

t.test('/docs is off by default in production, on elsewhere, and DOCS decides', async (t) => {
  const production = await build(t, { NODE_ENV: 'production' })
  t.equal((await production.inject({ method: 'GET', url: '/docs/json' })).statusCode, 404, 'production: off')
  const enabled = await build(t, { NODE_ENV: 'production', DOCS: 'true' })
  t.equal((await enabled.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200, 'production with DOCS=true: on')
  const off = await build(t, { DOCS: 'false' })
  t.equal((await off.inject({ method: 'GET', url: '/docs/json' })).statusCode, 404, 'test with DOCS=false: off')
})
