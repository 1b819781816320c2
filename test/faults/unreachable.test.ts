import t from 'tap'
import { build } from '../helper.ts'

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
