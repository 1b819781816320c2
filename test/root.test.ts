import t from 'tap'
import { build } from './helpers/app.ts'

t.test('GET / answers the welcome message with the service name, version and an ISO timestamp', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.same(Object.keys(body).sort(), ['message', 'service', 'timestamp', 'version'])
  t.equal(body.service, 'ecs-microservice')
  t.match(body.version, /^\d+\.\d+\.\d+/)
  t.equal(new Date(body.timestamp).toISOString(), body.timestamp)
})

t.test('an unknown route answers 404 JSON in the error shape', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/no/such/route?x=1' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), { statusCode: 404, error: 'Not Found', message: 'Route GET:/no/such/route not found' })
})

t.test('every answer carries helmet headers and the request id, errors included', async (t) => {
  const app = await build(t)
  for (const url of ['/', '/nowhere']) {
    const res = await app.inject({ method: 'GET', url, headers: { 'x-request-id': 'abc-123' } })
    t.equal(res.headers['x-request-id'], 'abc-123', `${url} returns the request id it was given`)
    t.equal(res.headers['x-content-type-options'], 'nosniff', url)
    t.equal(res.headers['x-frame-options'], 'DENY', url)
    t.match(res.headers['content-security-policy'], /default-src 'none'/, url)
    t.match(res.headers['strict-transport-security'], /max-age=\d+/, url)
  }
  const generated = await app.inject({ method: 'GET', url: '/', headers: { 'x-request-id': 'bad id with spaces\n' } })
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'an unusable request id is replaced by a generated one')
})

t.test('large answers are compressed with br or gzip', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json', headers: { 'accept-encoding': 'gzip' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-encoding'], 'gzip')
  const br = await app.inject({ method: 'GET', url: '/docs/json', headers: { 'accept-encoding': 'br' } })
  t.equal(br.headers['content-encoding'], 'br')
})
