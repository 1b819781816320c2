import { gzipSync } from 'node:zlib'
import t from 'tap'
import { build } from './helpers/app.ts'
import { takesNoBody } from '../plugins/external/compression.ts'

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

/** The hooks of each GET route, from Fastify's own route tree: `{ '/api/users': ['onRequest', 'onSend', …] }`. */
function hooksByRoute (tree: string): Record<string, string[]> {
  const routes: Record<string, string[]> = {}
  const path: string[] = []
  let current: string[] = []
  for (const line of tree.split('\n')) {
    const route = /^([│ ]*)[└├]── (\S+) \(GET/.exec(line)
    if (route) {
      const depth = (route[1] as string).length / 4
      path.length = depth
      path.push(route[2] as string)
      routes[path.join('').replace(/\/+/g, '/')] = current = []
    }
    const hook = /• \((\w+)\)/.exec(line)
    if (hook) current.push(hook[1] as string)
  }
  return routes
}

t.test('compression\'s hooks only where they can act: none on routes whose answers are a few short fields, no decompression on GET', async (t) => {
  const app = await build(t)
  const hooks = hooksByRoute(app.printRoutes({ includeHooks: true, commonPrefix: false, method: 'GET' }))
  for (const url of ['/', '/health', '/health/live', '/health/started', '/api/info', '/api/cache-test', '/api/users/:id']) {
    t.notOk(hooks[url]?.includes('onSend'), `${url}: no compression hook`)
  }
  for (const url of ['/api/users', '/api/stats']) t.ok(hooks[url]?.includes('onSend'), `${url}: compressed when its answer is large`)
  t.notOk(Object.values(hooks).some((names) => names.includes('preParsing')), 'no GET route has a decompression hook')
  t.ok(takesNoBody({ method: ['GET', 'HEAD'] }))
  t.notOk(takesNoBody({ method: 'POST' }))
  t.notOk(takesNoBody({ method: ['GET', 'DELETE'] }))
  // A request body sent compressed is still taken where there is one.
  const created = await app.inject({ method: 'POST', url: '/api/users', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: gzipSync(JSON.stringify({ username: `gz_${process.pid}_${Date.now()}` })) })
  t.equal(created.statusCode, 201, 'POST /api/users takes a gzip body')
})
