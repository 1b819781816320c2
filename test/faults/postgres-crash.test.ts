import { setTimeout as sleep } from 'node:timers/promises'
import { serverTests } from '../helpers/app.ts'
import { keyPrefix } from '../helpers/database.ts'
import { exitCode, serve } from '../helpers/processes.ts'
import { testServers } from '../setup/servers.ts'
import { OwnPostgres } from '../helpers/own-servers.ts'
import { MixedLoad } from '../helpers/load.ts'
import { sql } from '../helpers/sql.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

const CONNECTION_TIMEOUT_MS = 2_000

async function getJson (url: string) {
  const res = await fetch(url)
  return { status: res.status, body: await res.json() as Record<string, any> }
}

t.test('PostgreSQL crashes under load: 503s without hangs or 500s, probes right, back within 5 s of its return, no visit lost', async (t) => {
  const postgres = await OwnPostgres.create()
  t.teardown(() => postgres.destroy())
  await postgres.start()
  const server = await serve(t, {
    DATABASE_URL: postgres.url(),
    REDIS_URL: testServers().redisUrl,
    REDIS_KEY_PREFIX: `${keyPrefix}crash:`,
    DB_CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS)
  })
  const { base } = server

  const load = new MixedLoad(base, 16)
  load.start()
  await sleep(1_000)
  await postgres.kill()
  const killedAt = Date.now()
  // Readiness comes from the background check: it says so within a second or two.
  let health = await getJson(`${base}/health`)
  for (let i = 0; i < 300 && health.status !== 503; i++) {
    await sleep(50)
    health = await getJson(`${base}/health`)
  }
  await sleep(1_000) // requests keep failing meanwhile: some answers are 503
  t.equal(health.status, 503, '/health answers 503 while PostgreSQL is down')
  t.match(health.body, { status: 'degraded', checks: { database: 'disconnected' } })
  t.equal((await fetch(`${base}/health/live`)).status, 200, '/health/live stays 200')
  const down = load.snapshot()
  t.ok(down.byStatus[503] > 0, `requests that need PostgreSQL answered 503 (${down.byStatus[503]})`)
  t.comment(`down for ${Date.now() - killedAt} ms`)

  await postgres.start()
  const back = Date.now()
  const endpoints = ['/api/users', '/api/stats', '/health', '/', '/api/cache-test', '/api/info']
  const pending = new Set(endpoints)
  let checksTracked = 0 // these checks are visits too, but for /health
  while (pending.size > 0 && Date.now() - back < 30_000) {
    for (const path of pending) {
      const res = await fetch(`${base}${path}`)
      await res.arrayBuffer()
      if (path !== '/health') checksTracked++
      if (res.status === 200) pending.delete(path)
    }
    if (pending.size > 0) await sleep(50)
  }
  const recovery = Date.now() - back
  t.same([...pending], [], 'every endpoint answers 200 again')
  t.comment(`recovered ${recovery} ms after PostgreSQL came back`)
  await sleep(1_000)
  const result = await load.stop()

  t.equal(server.child.exitCode, null, 'the process did not crash')
  t.same(Object.keys(result.byStatus).filter((s) => ![200, 201, 503].includes(Number(s))), [], `only 200, 201 and 503: ${JSON.stringify(result.byStatus)}`)
  t.equal(result.errors, 0, 'no connection error, no hang cut short')
  t.ok(result.maxLatencyMs < CONNECTION_TIMEOUT_MS + 5_000, `slowest answer ${result.maxLatencyMs} ms (bounded by the ${CONNECTION_TIMEOUT_MS} ms connection timeout, with room for a loaded machine)`)
  const [{ connections }] = await sql<{ connections: number }>(postgres.url(), "SELECT count(*)::int AS connections FROM pg_stat_activity WHERE application_name = 'ecs-microservice'")
  t.ok(connections <= 10, `${connections} pooled connections after recovery (pool max 10): none leaked`)

  server.child.kill('SIGTERM')
  const code = await exitCode(server.child)
  t.equal(code, 0)
  const [{ total }] = await sql<{ total: number }>(postgres.url(), 'SELECT coalesce(sum(total), 0)::int AS total FROM visit_totals')
  t.equal(total, result.tracked + checksTracked, `every answered request is a visit (${result.tracked} by the load, ${checksTracked} by the recovery checks)`)
  const [{ users }] = await sql<{ users: number }>(postgres.url(), 'SELECT count(*)::int AS users FROM users')
  t.equal(users, result.byStatus[201] ?? 0, 'users in the table = 201s received')
})

t.test('PostgreSQL down longer than the visit buffer holds: the overflow is dropped, logged and reported', async (t) => {
  const postgres = await OwnPostgres.create()
  t.teardown(() => postgres.destroy())
  await postgres.start()
  const server = await serve(t, { DATABASE_URL: postgres.url(), REDIS_URL: testServers().redisUrl, VISITS_BUFFER_MAX: '50' })
  const { base } = server
  await postgres.kill()

  for (let i = 0; i < 80; i++) await (await fetch(`${base}/`)).arrayBuffer()
  const full = await getJson(`${base}/health`)
  t.match(full.body.visits, { pending: 50, dropped: 30, refused: 0 }, '/health reports the buffered and the dropped')
  t.match(server.output(), /visit buffer full: dropping visits/, 'the drop is logged')

  await postgres.start()
  // Waiting on /health, which is not a visit itself: a tracked poll would join the full buffer.
  let health = await getJson(`${base}/health`)
  for (let i = 0; i < 100 && (health.status !== 200 || health.body.visits.pending > 0); i++) {
    await sleep(100)
    health = await getJson(`${base}/health`)
  }
  const stats = await getJson(`${base}/api/stats`)
  t.equal(stats.body.total_visits, 50, 'the buffered visits are written after recovery')
  t.equal(stats.body.dropped_visits, 30, '/api/stats reports the dropped')
  server.child.kill('SIGTERM')
  await exitCode(server.child)
})

t.test('PostgreSQL stopped before the service starts: it starts, reports degraded, and turns healthy when PostgreSQL appears', async (t) => {
  const postgres = await OwnPostgres.create()
  t.teardown(() => postgres.destroy())
  const server = await serve(t, { DATABASE_URL: postgres.url(), REDIS_URL: testServers().redisUrl }, { healthy: false })
  const { base } = server
  const before = await getJson(`${base}/health`)
  t.equal(before.status, 503)
  t.match(before.body, { status: 'degraded', checks: { database: 'disconnected' } })
  t.equal((await fetch(`${base}/api/users`)).status, 503)

  await sleep(3_000) // longer than any plugin start-up timeout: still up, still waiting
  t.equal(server.child.exitCode, null, 'no crash loop')
  await postgres.start()
  const started = Date.now()
  let health = await getJson(`${base}/health`)
  while (health.status !== 200 && Date.now() - started < 15_000) {
    await sleep(100)
    health = await getJson(`${base}/health`)
  }
  t.equal(health.status, 200, `healthy ${Date.now() - started} ms after PostgreSQL started`)
  t.equal((await fetch(`${base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"late"}' })).status, 201, 'migrations ran: users can be created')
  server.child.kill('SIGTERM')
  await exitCode(server.child)
})
