import t from 'tap'
import { build, until200 } from '../helper.ts'
import { testServers } from '../setup/servers.ts'
import { TcpProxy } from '../tcp-proxy.ts'

t.test('Redis down: cache-test answers 503 promptly, the rest serves, and it recovers without a restart', async (t) => {
  const proxy = TcpProxy.forUrl(testServers().redisUrl)
  await proxy.start()
  t.teardown(() => proxy.stop())
  const app = await build(t, { REDIS_URL: proxy.url(testServers().redisUrl) })
  t.equal((await app.inject({ method: 'GET', url: '/api/cache-test' })).statusCode, 200)

  await proxy.stop()
  const started = Date.now()
  const down = await app.inject({ method: 'GET', url: '/api/cache-test' })
  t.equal(down.statusCode, 503)
  t.ok(Date.now() - started < 2_000, 'answered within the command timeout')
  t.same(Object.keys(down.json()).sort(), ['error', 'message', 'statusCode'])
  t.notMatch(down.body, /ECONNREFUSED|127\.0\.0\.1|redis:|stack/i, 'no internals')
  t.equal(down.headers['retry-after'], '1')
  t.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200, 'GET / unaffected')
  t.equal((await app.inject({ method: 'GET', url: '/api/users' })).statusCode, 200, 'users unaffected')
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 503)
  t.match(health.json(), { status: 'degraded', checks: { database: 'connected', redis: 'disconnected' } })

  await proxy.start()
  const res = await until200(app, '/api/cache-test')
  t.equal(res.statusCode, 200, 'serving again within 5 s')
  t.ok(res.json().counter >= 2, 'the counter continues')
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
})
