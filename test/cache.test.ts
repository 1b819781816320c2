import t from 'tap'
import { Redis } from 'ioredis'
import { build, keyPrefix, until200 } from './helper.ts'
import { testServers } from './setup/servers.ts'
import { TcpProxy } from './tcp-proxy.ts'

t.test('GET /api/cache-test increments the counter and sets a one-hour expiry', async (t) => {
  const app = await build(t)
  const redis = new Redis(testServers().redisUrl)
  t.teardown(() => redis.quit())
  await redis.del(`${keyPrefix}cache_test_counter`)

  const first = await app.inject({ method: 'GET', url: '/api/cache-test' })
  t.equal(first.statusCode, 200)
  t.same(Object.keys(first.json()).sort(), ['counter', 'message', 'timestamp'])
  t.equal(first.json().counter, 1)
  t.equal((await app.inject({ method: 'GET', url: '/api/cache-test' })).json().counter, 2)
  const ttl = await redis.ttl(`${keyPrefix}cache_test_counter`)
  t.ok(ttl > 3590 && ttl <= 3600, `expiry ${ttl} s`)
})

t.test('100 concurrent increments give 100 distinct values with no gap', async (t) => {
  const app = await build(t)
  const redis = new Redis(testServers().redisUrl)
  t.teardown(() => redis.quit())
  await redis.del(`${keyPrefix}cache_test_counter`)
  const answers = await Promise.all(Array.from({ length: 100 }, () => app.inject({ method: 'GET', url: '/api/cache-test' })))
  t.ok(answers.every((r) => r.statusCode === 200))
  const values = answers.map((r) => r.json().counter).sort((a, b) => a - b)
  t.same(values, Array.from({ length: 100 }, (_, i) => i + 1))
})

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
