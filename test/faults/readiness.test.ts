// Readiness (/health) comes from a background check on a connection of its own: a saturated
// request pool does not take the task out of the load balancer, a flood of probes costs no
// round trip, and a lost or returning dependency shows within a few seconds.
import { setTimeout as sleep } from 'node:timers/promises'
import { build, serverTests } from '../helpers/app.ts'
import { testDatabaseUrl } from '../helpers/database.ts'
import { OwnPostgres, OwnRedis } from '../helpers/own-servers.ts'
import { testServers } from '../setup/servers.ts'
import { sql } from '../helpers/sql.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

// Wide enough for a loaded machine; the figures are printed. By design: lost within
// HEALTH_CHECK_INTERVAL_MS + HEALTH_CHECK_TIMEOUT_MS (2 s), back within about 1 s.
const BOUND_MS = 15_000

async function waitForHealth (app: Awaited<ReturnType<typeof build>>, status: number): Promise<number> {
  const started = Date.now()
  while ((await app.inject({ method: 'GET', url: '/health' })).statusCode !== status && Date.now() - started < BOUND_MS) await sleep(50)
  return Date.now() - started
}

t.test('a saturated request pool does not make /health report the database down', async (t) => {
  const app = await build(t, { DB_POOL_MAX: '2', DB_CONNECTION_TIMEOUT_MS: '500' })
  const held = await Promise.all([app.pg.connect(), app.pg.connect()])
  t.teardown(() => held.forEach((client) => client.release()))
  const busy = await app.inject({ method: 'GET', url: '/api/users' })
  t.equal(busy.statusCode, 503, 'the pool is saturated: a request needing it gets 503')
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200, 'but the task stays in the load balancer')
  t.same(health.json().checks, { database: 'connected', redis: 'connected' })
})

t.test('a flood of /health costs no database round trip', async (t) => {
  const url = await testDatabaseUrl()
  const app = await build(t)
  const transactions = async () => (await sql<{ n: number }>(url, 'SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = current_database()'))[0].n
  const before = await transactions()
  for (let i = 0; i < 500; i++) t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'healthy', { diagnostic: false })
  // pg_stat_database is updated by each backend at most every 1 s (PGSTAT_MIN_INTERVAL).
  await sleep(1_500)
  const spent = await transactions() - before
  t.ok(spent < 100, `500 probes, ${spent} transactions in the database (background checks and stats queries only)`)
})

t.test('PostgreSQL lost and back: /health says so within seconds, from the background check', async (t) => {
  const postgres = await OwnPostgres.create()
  t.teardown(() => postgres.destroy())
  await postgres.start()
  const app = await build(t, { DATABASE_URL: postgres.url(), REDIS_URL: testServers().redisUrl, SHUTDOWN_TIMEOUT_MS: '2000' })
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  await postgres.kill()
  const lost = await waitForHealth(app, 503)
  t.ok(lost < BOUND_MS, `503 ${lost} ms after PostgreSQL crashed`)
  t.match((await app.inject({ method: 'GET', url: '/health' })).json(), { status: 'degraded', checks: { database: 'disconnected', redis: 'connected' } })
  await postgres.start()
  const back = await waitForHealth(app, 200)
  t.ok(back < BOUND_MS, `200 ${back} ms after PostgreSQL started again`)
})

t.test('Redis lost and back: the same', async (t) => {
  const redis = await OwnRedis.create()
  t.teardown(() => redis.destroy())
  await redis.start()
  const app = await build(t, { REDIS_URL: redis.url() })
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  await redis.kill()
  const lost = await waitForHealth(app, 503)
  t.ok(lost < BOUND_MS, `503 ${lost} ms after Redis was killed`)
  t.match((await app.inject({ method: 'GET', url: '/health' })).json(), { checks: { database: 'connected', redis: 'disconnected' } })
  await redis.start()
  const back = await waitForHealth(app, 200)
  t.ok(back < BOUND_MS, `200 ${back} ms after Redis started again`)
})
