import t from 'tap'
import { build } from './helpers/app.ts'
import { backend } from './helpers/database.ts'

t.test('GET /health answers healthy with both checks connected (Redis: embedded when none is configured)', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.status, 'healthy')
  t.equal(body.service, 'ecs-microservice')
  t.same(body.checks, { database: 'connected', redis: backend === 'embedded' ? 'embedded' : 'connected' })
  t.equal(new Date(body.timestamp).toISOString(), body.timestamp)
})

t.test('GET /health/live answers 200 without touching a dependency', async (t) => {
  const app = await build(t, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' })
  const res = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().status, 'alive')
})

t.test('GET /health/started: 200 once migrations are applied, whatever a shared dependency does', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/health/started' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'serving', migrations: 'applied' })
})

t.test('GET /health/started answers 503 while migrations are pending: no traffic before start-up is done', async (t) => {
  // Nothing to migrate on: the migrations stay pending, the service listens and says so.
  const app = await build(t, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1', DB_CONNECTION_TIMEOUT_MS: '200' })
  const res = await app.inject({ method: 'GET', url: '/health/started' })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { status: 'starting', migrations: 'pending' })
})
