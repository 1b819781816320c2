import net from 'node:net'
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { build } from './helpers/app.ts'

type App = Awaited<ReturnType<typeof build>>

const ERROR_KEYS = ['error', 'message', 'statusCode']
// What differs from one answer to the next; every other header of a routed answer is on every answer.
const PER_ANSWER = new Set(['content-length', 'date', 'connection', 'keep-alive', 'x-request-id', 'content-type'])

/** The headers every routed answer carries (helmet's, plugins/external/security-headers.ts), as a routed 404 has them. */
async function everyAnswerHeaders (app: App): Promise<Record<string, string>> {
  const routed = await app.inject({ method: 'GET', url: '/no-such-route' })
  return Object.fromEntries(Object.entries(routed.headers).filter(([name]) => !PER_ANSWER.has(name))) as Record<string, string>
}

function errorShape (t: Pick<typeof import('tap').default, 'equal' | 'same' | 'match' | 'notMatch' | 'ok'>, res: LightMyRequestResponse, status: number, name: string) {
  t.equal(res.statusCode, status, name)
  t.match(res.headers['content-type'], /^application\/json/, `${name}: JSON`)
  const body = res.json()
  t.same(Object.keys(body).sort(), ERROR_KEYS, `${name}: exactly {statusCode, error, message}`)
  t.equal(body.statusCode, status, `${name}: statusCode`)
  t.notMatch(res.body, /FST_|node_modules|\bat .+:\d+:\d+/, `${name}: no code or stack`)
  t.ok(body.message.length < 300, `${name}: a message, not an echo (${body.message.length} characters)`)
}

t.test('errors Fastify meets before routing are in the one error shape, with every answer\'s headers and a request id', async (t) => {
  const app = await build(t)
  const headers = await everyAnswerHeaders(app)
  t.ok(headers['x-content-type-options'] && headers['content-security-policy'], 'a routed answer has helmet\'s headers')
  const cases: Array<[string, string, number, string]> = [
    ['a malformed escape in the id', '/api/users/%ZZ', 400, 'The URL path holds a malformed percent-encoding'],
    ['an escape that is not UTF-8', '/api/users/%C0', 400, 'The URL path holds a malformed percent-encoding'],
    ['a malformed escape in a path without parameters', '/%ZZ', 400, 'The URL path holds a malformed percent-encoding'],
    ['a 201-character id', `/api/users/${'1'.repeat(201)}`, 414, 'A parameter of the URL path is too long']
  ]
  for (const [name, url, status, message] of cases) {
    const res = await app.inject({ method: 'GET', url, headers: { 'x-request-id': 'nginx-id-1' } })
    errorShape(t, res, status, name)
    t.equal(res.json().message, message, name)
    t.notOk(res.body.includes('111111'), `${name}: the path is not echoed`)
    t.equal(res.headers['x-request-id'], 'nginx-id-1', `${name}: the request id, nginx's when it sent one`)
    t.match(res.headers, headers, `${name}: every header a routed answer carries`)
  }
})

t.test('numbers in the path and query are decimal digits only: no hex, sign, space, exponent, point or leading zero', async (t) => {
  const app = await build(t)
  const created = await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'one' } })
  t.equal(created.json().user.id, 1)
  for (const id of ['0x1', '1e0', '+1', '%201', '1%20', '1.', '1.0', '01', '0b1', '%EF%BC%91']) {
    const res = await app.inject({ method: 'GET', url: `/api/users/${id}` })
    errorShape(t, res, 400, `id ${id}`)
    t.match(res.json().message, /^params\/id must be an integer in decimal digits/, `id ${id}`)
  }
  for (const limit of ['0x10', '%20%205', '5%20', '+5', '1e1', '05', '5.0', '-0']) {
    const res = await app.inject({ method: 'GET', url: `/api/users?limit=${limit}` })
    errorShape(t, res, 400, `limit ${limit}`)
    t.match(res.json().message, /^querystring\/limit must be an integer in decimal digits/, `limit ${limit}`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/users/1' })).statusCode, 200, 'id 1')
  t.equal((await app.inject({ method: 'GET', url: '/api/users?limit=16' })).json().count, 1, 'limit 16')
  t.equal((await app.inject({ method: 'GET', url: '/api/users?limit=0' })).statusCode, 400, 'limit 0: decimal, under the minimum')
  t.equal((await app.inject({ method: 'GET', url: '/api/users?limit=5&limit=0x10' })).statusCode, 400, 'a repeated limit is read whole')
})

t.test('a body with a __proto__ key is refused for that, not as invalid JSON', async (t) => {
  const app = await build(t)
  const cases: Array<[string, string, string]> = [
    ['__proto__', '{"username":"p","__proto__":{"admin":true}}', 'Body contains a "__proto__" key, which is refused'],
    ['escaped __proto__', '{"username":"p","\\u005f_proto__":{}}', 'Body contains a "__proto__" key, which is refused'],
    ['constructor.prototype', '{"username":"c","constructor":{"prototype":{"admin":true}}}', 'Body contains a "constructor" key holding "prototype", which is refused'],
    ['malformed JSON', '{"username": ', "Body is not valid JSON but content-type is set to 'application/json'"],
    ['empty', '', "Body cannot be empty when content-type is set to 'application/json'"]
  ]
  for (const [name, payload, message] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/users', headers: { 'content-type': 'application/json' }, payload })
    errorShape(t, res, 400, name)
    t.equal(res.json().message, message, name)
  }
  t.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype untouched')
  t.equal((await app.inject({ method: 'GET', url: '/api/users' })).json().count, 0, 'nothing created')
})

// Every route, and each way a request to it can be wrong.
const ROUTES = ['/', '/health', '/health/live', '/api/info', '/api/stats', '/api/cache-test', '/api/users', '/api/users/1', '/docs', '/docs/json']
const BIG = JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) })

interface Source { name: string, method: string, path: (route: string) => string, headers?: Record<string, string>, payload?: string }
const SOURCES: Source[] = [
  { name: 'malformed escape in the path', method: 'GET', path: (r) => `${r}/%ZZ` },
  { name: 'malformed escape in the query', method: 'GET', path: (r) => `${r}?limit=%ZZ&cursor=%` },
  { name: 'unknown sub-path', method: 'GET', path: (r) => `${r}/nope` },
  { name: 'a 201-character segment', method: 'GET', path: (r) => `${r}/${'9'.repeat(201)}` },
  { name: 'an unrouted method', method: 'DELETE', path: (r) => r },
  { name: 'PUT with malformed JSON', method: 'PUT', path: (r) => r, headers: { 'content-type': 'application/json' }, payload: '{"a":' },
  { name: 'POST of a form', method: 'POST', path: (r) => r, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' },
  { name: 'POST of text', method: 'POST', path: (r) => r, headers: { 'content-type': 'text/plain' }, payload: 'x' },
  { name: 'POST of 2 MB', method: 'POST', path: (r) => r, headers: { 'content-type': 'application/json' }, payload: BIG },
  { name: 'POST with __proto__', method: 'POST', path: (r) => r, headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{}}' },
  { name: 'POST of malformed JSON', method: 'POST', path: (r) => r, headers: { 'content-type': 'application/json' }, payload: '{"username"' },
  { name: 'GET with a body', method: 'GET', path: (r) => r, headers: { 'content-type': 'application/json' }, payload: '{"a":' }
]

t.test('every route, each source of an error: the one error shape, the headers of every answer, no code or stack', async (t) => {
  const app = await build(t)
  const headers = await everyAnswerHeaders(app)
  const seen: Record<number, number> = {}
  for (const route of ROUTES) {
    for (const source of SOURCES) {
      const name = `${source.method} ${route}: ${source.name}`
      const res = await app.inject({ method: source.method as 'GET', url: source.path(route), headers: source.headers, payload: source.payload })
      seen[res.statusCode] = (seen[res.statusCode] ?? 0) + 1
      if (res.statusCode < 400) continue
      t.ok(res.statusCode < 500, `${name}: ${res.statusCode} is not a 5xx`)
      errorShape(t, res, res.statusCode, name)
      t.match(res.headers['x-request-id'], /^[\w.:-]+$/, `${name}: a request id`)
      // /docs sets a CSP of its own for the Swagger UI; errors under it carry the service's.
      t.match(res.headers, headers, `${name}: every header a routed answer carries`)
    }
  }
  t.comment(`statuses: ${JSON.stringify(seen)}`)
  for (const status of [400, 404, 413, 414, 415]) t.ok(seen[status], `a ${status} was among them`)
})

/** Writes `bytes` on a fresh connection to `port` and resolves with what the server answered before closing. */
function raw (port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes))
    let data = ''
    socket.setTimeout(5_000, () => { socket.destroy(); reject(new Error('no answer in 5 s')) })
    socket.on('data', (chunk) => { data += chunk })
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
  })
}

function parse (answer: string) {
  const [head, body] = answer.split('\r\n\r\n')
  const [statusLine, ...lines] = head.split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
  return { statusLine, headers, body }
}

t.test('malformed HTTP on a real socket is answered in the error shape, with every answer\'s headers and a request id', async (t) => {
  const app = await build(t)
  const headers = await everyAnswerHeaders(app)
  // Ports 47100-47199 are this suite's to listen on (one per test process).
  await app.listen({ host: '127.0.0.1', port: 47100 + (process.pid % 100) })
  const { port } = app.server.address() as net.AddressInfo
  const cases: Array<[string, string, number, string]> = [
    ['a request line of garbage', 'GARBAGE\r\n\r\n', 400, 'The request is not valid HTTP'],
    ['a header without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n', 400, 'The request is not valid HTTP'],
    ['headers over the limit', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'The request headers are too large']
  ]
  for (const [name, bytes, status, message] of cases) {
    const answer = parse(await raw(port, bytes))
    t.match(answer.statusLine, new RegExp(`^HTTP/1\\.1 ${status} `), name)
    t.match(answer.headers['content-type'], /^application\/json/, name)
    t.same(JSON.parse(answer.body), { statusCode: status, error: answer.statusLine.slice(13), message }, `${name}: the error shape`)
    t.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body), `${name}: content-length`)
    t.match(answer.headers['x-request-id'], /^[0-9a-f-]{36}$/, `${name}: a request id`)
    t.match(answer.headers, headers, `${name}: every header a routed answer carries`)
  }

  // Node's requestTimeout (300 s) raises a clientError of its own; it is emitted here, on a real connection.
  const accepted = new Promise<net.Socket>((resolve) => app.server.once('connection', resolve))
  const client = net.connect(port, '127.0.0.1')
  let data = ''
  client.on('data', (chunk) => { data += chunk })
  const closed = new Promise((resolve) => client.on('close', resolve))
  app.server.emit('clientError', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), await accepted)
  await closed
  const timeout = parse(data)
  t.equal(timeout.statusLine, 'HTTP/1.1 408 Request Timeout')
  t.same(JSON.parse(timeout.body), { statusCode: 408, error: 'Request Timeout', message: 'The request did not arrive in time' })
  t.match(timeout.headers, headers, 'a 408 carries every header a routed answer carries')

  t.equal((await fetch(`http://127.0.0.1:${port}/health/live`)).status, 200, 'the server serves on')
})
