import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import '../embedded/backend.ts'
import { build, eventually } from '../helpers/app.ts'
import { exitCode, startServer } from '../helpers/processes.ts'

// Nothing configured: no DATABASE_URL, DB_HOST, REDIS_URL or REDIS_HOST reach the service.
const unconfigured = { DATABASE_URL: '', DB_HOST: '', REDIS_URL: '', REDIS_HOST: '', TEST_DATABASE_URL: '', TEST_REDIS_URL: '' }

function dataDir (t: Pick<typeof import('tap').default, 'teardown'>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pglite-start-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
t.test('server.ts with nothing configured serves the API on the embedded back ends, says so, and keeps its data across a restart', async (t) => {
  const dir = dataDir(t)
  const env = { ...unconfigured, NODE_ENV: 'test', LOG_LEVEL: 'info', EMBEDDED_DATABASE_DIR: dir }

  const first = await startServer(env)
  t.teardown(() => first.child.kill('SIGKILL'))
  t.ok(first.url, 'listening')
  t.match(first.output(), /using the embedded PostgreSQL \(PGlite\)/, 'start-up names the embedded database')
  t.match(first.output(), /using the embedded in-process cache/, 'start-up names the embedded cache')

  // Ready as a load balancer sees it (a loaded machine may still be starting when it listens).
  const ready = (url: string | undefined) => eventually(async () => (await fetch(`${url}/health`)).status === 200, 30_000)
  t.ok(await ready(first.url), 'ready')
  const health = await fetch(`${first.url}/health`)
  t.equal(health.status, 200)
  t.match(await health.json() as object, { status: 'healthy', checks: { database: 'connected', redis: 'embedded' } })
  const info = await (await fetch(`${first.url}/api/info`)).json() as object
  t.match(info, { database: { backend: 'embedded' }, redis: { backend: 'embedded' } })

  const created = await fetch(`${first.url}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"kept"}' })
  t.equal(created.status, 201)
  t.equal((await (await fetch(`${first.url}/api/cache-test`)).json() as { counter: number }).counter, 1)

  const intruder = await startServer(env)
  const intruderCode = await exitCode(intruder.child)
  t.equal(intruderCode, 1, 'a second process on the same data directory does not start')
  t.match(intruder.output(), new RegExp(`in use by process ${first.child.pid}`), '… and says which process holds it')
  first.child.kill('SIGTERM')
  const code = await exitCode(first.child)
  t.equal(code, 0, 'exits cleanly, closing the data directory')

  const second = await startServer(env)
  t.teardown(() => second.child.kill('SIGKILL'))
  t.ok(second.url, 'listening again on the same data directory')
  t.ok(await ready(second.url), 'ready again')
  const users = await (await fetch(`${second.url}/api/users`)).json() as { users?: { username: string }[] }
  t.same(users.users?.map((u) => u.username), ['kept'], `the user survived the restart: ${JSON.stringify(users)}`)
  const stats = await (await fetch(`${second.url}/api/stats`)).json() as { total_visits: number }
  t.ok(stats.total_visits >= 3, `visits survived the restart (${stats.total_visits})`)
  second.child.kill('SIGTERM')
  await exitCode(second.child)
})

t.test('a lock left by a process that is gone (killed, say) is taken over', async (t) => {
  const dir = join(dataDir(t), 'data')
  writeFileSync(`${dir}.lock`, '4194303') // above Linux's pid_max: no such process
  const app = await build(t, { EMBEDDED_DATABASE_DIR: dir })
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  t.equal(readFileSync(`${dir}.lock`, 'utf8'), String(process.pid))
  await app.close()
  t.notOk(existsSync(`${dir}.lock`), 'released on close')
})

t.test('EMBEDDED_DATABASE_DIR=:memory: keeps nothing between two apps', async (t) => {
  const first = await build(t, { EMBEDDED_DATABASE_DIR: ':memory:' })
  t.equal((await first.inject({ method: 'POST', url: '/api/users', payload: { username: 'gone' } })).statusCode, 201)
  await first.close()
  const second = await build(t, { EMBEDDED_DATABASE_DIR: ':memory:' })
  t.same((await second.inject({ method: 'GET', url: '/api/users' })).json().users, [])
})

t.test('in production, no database or Redis configured stops start-up with a clear message', async (t) => {
  for (const [env, message] of [
    [{ ...unconfigured, REDIS_URL: 'redis://127.0.0.1:6379' }, /DATABASE_URL or DB_HOST is required when NODE_ENV=production \(the embedded database never runs in production\)/],
    [{ ...unconfigured, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' }, /REDIS_URL or REDIS_HOST is required when NODE_ENV=production/]
  ] as const) {
    const { child, output } = await startServer({ ...env, NODE_ENV: 'production' })
    const code = await exitCode(child)
    t.equal(code, 1)
    t.match(output(), message)
    t.notMatch(output(), /using the embedded/, 'nothing embedded was started')
  }
})
