import t from 'tap'
import { build, testDatabaseUrl, until200 } from './helper.ts'
import { testServers } from './setup/servers.ts'
import { TcpProxy } from './tcp-proxy.ts'

t.test('GET /health answers healthy with both checks connected', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.status, 'healthy')
  t.equal(body.service, 'ecs-microservice')
  t.same(body.checks, { database: 'connected', redis: 'connected' })
  t.equal(new Date(body.timestamp).toISOString(), body.timestamp)
})

t.test('GET /health/live answers 200 without touching a dependency', async (t) => {
  const app = await build(t, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' })
  const res = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().status, 'alive')
})

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
