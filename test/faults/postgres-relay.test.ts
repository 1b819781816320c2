import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { build, query, testDatabaseUrl, until200 } from '../helper.ts'
import { testServers } from '../setup/servers.ts'
import { TcpProxy } from '../tcp-proxy.ts'

t.test('both dependencies unreachable at start: the service starts, answers 503 and names them', async (t) => {
  const started = Date.now()
  const app = await build(t, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' })
  t.ok(Date.now() - started < 5_000, 'start-up does not wait for the dependencies')
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 503)
  t.match(health.json(), { status: 'degraded', checks: { database: 'disconnected', redis: 'disconnected' } })
  for (const url of ['/api/users', '/api/stats', '/api/cache-test']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 503, url)
    t.equal(res.json().error, 'Service Unavailable', url)
    t.notMatch(res.body, /ECONNREFUSED|127\.0\.0\.1|postgres|redis:|at /, `${url}: no internals`)
  }
  const create = await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'nobody' } })
  t.equal(create.statusCode, 503)
  t.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200, 'routes without I/O still serve')
})

t.test('PostgreSQL absent at start, then up: migrations run and the service turns healthy by itself', async (t) => {
  const { databaseUrl } = testServers()
  const proxy = TcpProxy.forUrl(databaseUrl)
  await proxy.start()
  const port = proxy.port
  await proxy.stop()
  t.teardown(() => proxy.stop())

  const app = await build(t, { DATABASE_URL: proxy.url(await testDatabaseUrl()) })
  const before = await app.inject({ method: 'GET', url: '/health' })
  t.equal(before.statusCode, 503)
  t.equal(before.json().checks.database, 'disconnected')

  proxy.port = port
  await proxy.start()
  const res = await until200(app, '/health', 15_000)
  t.equal(res.statusCode, 200, 'healthy once PostgreSQL is reachable')
  t.equal((await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'late' } })).statusCode, 201)
})
t.test('database down: visits wait in a bounded buffer, overflow is counted, the rest is written on recovery', async (t) => {
  const proxy = TcpProxy.forUrl(await testDatabaseUrl())
  await proxy.start()
  t.teardown(() => proxy.stop())
  const app = await build(t, { DATABASE_URL: proxy.url(await testDatabaseUrl()), VISITS_BUFFER_MAX: '100' })
  await query('TRUNCATE users, visits, visit_totals RESTART IDENTITY')

  await proxy.stop()
  await Promise.all(Array.from({ length: 130 }, () => app.inject({ method: 'GET', url: '/' })))
  await sleep(300)
  t.equal(app.visits.pending, 100, 'the buffer holds its bound')
  t.equal(app.visits.dropped, 30, 'what did not fit is counted')
  const health = (await app.inject({ method: 'GET', url: '/health' })).json()
  t.same(health.visits, { pending: 100, dropped: 30 })

  await proxy.start()
  const deadline = Date.now() + 5_000
  while (app.visits.pending > 0 && Date.now() < deadline) await sleep(100)
  const stats = (await app.inject({ method: 'GET', url: '/api/stats' })).json()
  t.equal(stats.total_visits, 100, 'every buffered visit written after recovery')
  t.equal(stats.dropped_visits, 30)
})
