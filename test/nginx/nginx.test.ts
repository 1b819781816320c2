// The project's nginx configuration, rendered as the image renders it and run with Debian's
// nginx binary in front of the real service on loopback. Run by .ci/checks/10-nginx.sh, not by
// the tiers (package.json's tap `exclude`: it needs Debian's nginx):
//   npx tap --disable-coverage test/nginx/nginx.test.ts   (needs nginx, TEST_DATABASE_URL, TEST_REDIS_URL)
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { eventually } from '../helpers/app.ts'
import { keyPrefix, query, testDatabaseUrl } from '../helpers/database.ts'
import { startServer } from '../helpers/processes.ts'
import { testServers } from '../setup/servers.ts'
import { startLocalNginx } from '../../deploy/nginx/local.ts'

const { child: app, url: appUrl, output: appLog } = await startServer({ DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl, REDIS_KEY_PREFIX: keyPrefix })
t.teardown(() => { app.kill('SIGTERM') })
if (!appUrl) throw new Error(`the app did not start:\n${appLog()}`)

const nginx = await startLocalNginx([new URL(appUrl).host])
t.teardown(() => nginx.stop())
const { base, accessLog } = nginx

const SECURITY_HEADERS = ['x-content-type-options', 'x-frame-options', 'referrer-policy', 'strict-transport-security', 'content-security-policy']

function checkSecurityHeaders (tt: Pick<typeof t, 'ok' | 'notMatch' | 'equal' | 'match'>, res: Response, label: string) {
  for (const name of SECURITY_HEADERS) {
    const value = res.headers.get(name)
    tt.ok(value, `${label}: ${name}`)
    tt.notMatch(value ?? '', /, /, `${label}: ${name} appears once`)
  }
  tt.equal(res.headers.get('x-content-type-options'), 'nosniff')
  tt.equal(res.headers.get('x-frame-options'), 'DENY')
  tt.match(res.headers.get('content-security-policy'), /default-src 'none'/)
}

t.test('proxies the API, and answers /nginx-health itself', async (t) => {
  const res = await fetch(`${base}/`)
  t.equal(res.status, 200)
  t.match(await res.json(), { service: 'ecs-microservice' })
  const health = await fetch(`${base}/nginx-health`)
  t.equal(health.status, 200)
  t.equal((await health.text()).trim(), 'healthy')
  const create = await fetch(`${base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'via-nginx' }) })
  t.equal(create.status, 201)
})

t.test('security headers on a 200 and a 404, no version in Server', async (t) => {
  const ok = await fetch(`${base}/`)
  checkSecurityHeaders(t, ok, '200')
  t.equal(ok.headers.get('server'), 'nginx')
  const missing = await fetch(`${base}/no/such/route`)
  t.equal(missing.status, 404)
  t.match(await missing.json(), { statusCode: 404, error: 'Not Found' })
  checkSecurityHeaders(t, missing, '404')
  t.equal(missing.headers.get('server'), 'nginx')
})

t.test('the request id reaches the app and comes back to the client', async (t) => {
  const res = await fetch(`${base}/api/info`)
  const id = res.headers.get('x-request-id') ?? ''
  t.match(id, /^[0-9a-f]{32}$/, 'nginx $request_id')
  t.ok(await eventually(() => appLog().includes(`"reqId":"${id}"`)), 'the app logged the same id')
  t.ok(await eventually(() => accessLog().includes(`"request_id":"${id}"`)), 'nginx logged it in its JSON access log')
  t.match(accessLog(), /"upstream_time":"[0-9.]+"/, 'with the upstream time')
})

t.test('a well-formed X-Request-Id from the client is kept end to end; a malformed one is replaced', async (t) => {
  const mine = 'client-trace.42:abc_DEF'
  const res = await fetch(`${base}/api/info`, { headers: { 'x-request-id': mine } })
  t.equal(res.headers.get('x-request-id'), mine, 'returned to the client')
  t.ok(await eventually(() => appLog().includes(`"reqId":"${mine}"`)), 'the app logged it')
  t.ok(await eventually(() => accessLog().includes(`"request_id":"${mine}"`)), 'nginx logged it')
  for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '<script>']) {
    const replaced = await fetch(`${base}/api/info`, { headers: { 'x-request-id': bad } })
    t.match(replaced.headers.get('x-request-id'), /^[0-9a-f]{32}$/, `${JSON.stringify(bad.slice(0, 20))}: replaced by nginx's own`)
  }
})

t.test('the client IP is not taken from an untrusted X-Forwarded-For', async (t) => {
  await query('DELETE FROM visits')
  await fetch(`${base}/api/stats`, { headers: { 'x-forwarded-for': '203.0.113.66' } })
  const stored = () => query<{ client_ip: string }>("SELECT client_ip FROM visits WHERE route = '/api/stats'")
  t.ok(await eventually(async () => (await stored()).length > 0), 'the visit was written')
  t.same((await stored()).map((r) => r.client_ip), ['127.0.0.1'])
})

t.test('JSON answers are gzipped', async (t) => {
  const res = await fetch(`${base}/docs/json`, { headers: { 'accept-encoding': 'gzip' } })
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-encoding'), 'gzip')
  t.match(await res.json(), { openapi: String })
})

t.test('a body over 1 MiB is refused by nginx with 413 JSON', async (t) => {
  const res = await fetch(`${base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }) })
  t.equal(res.status, 413)
  t.match(res.headers.get('content-type'), /application\/json/)
  t.match(await res.json(), { statusCode: 413 })
  checkSecurityHeaders(t, res, '413')
})

t.test('a burst from one client is limited with 429 JSON, after a generous burst', async (t) => {
  await sleep(2_000) // let the bucket refill after the tests above
  const answers = await Promise.all(Array.from({ length: 300 }, () => fetch(`${base}/health/live`).then(async (r) => ({ status: r.status, body: await r.text() }))))
  const limited = answers.filter((a) => a.status === 429)
  const served = answers.filter((a) => a.status === 200)
  t.ok(served.length >= 100, `${served.length} served: the burst allowance holds`)
  t.ok(limited.length > 0, `${limited.length} limited`)
  t.match(JSON.parse(limited[0].body), { statusCode: 429, error: 'Too Many Requests' })
  await sleep(2_000)
})

t.test('503s from busy instances reach the client as they are and take no instance out of the upstream; trace context passes through', async (t) => {
  // Two instances that answer 503 (a dependency busy, Retry-After) on one path and 200 elsewhere:
  // a 503 is the app's "retry later", not a dead upstream. Counted as a failure, three of them
  // took every instance out for fail_timeout, and nginx answered everything else 502.
  const upstreams = await Promise.all([1, 2].map(async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/busy') res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"statusCode":503}')
      else if (req.url === '/echo') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers))
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    }).listen(0, '127.0.0.1')
    await once(server, 'listening')
    t.teardown(() => { server.closeAllConnections(); server.close() })
    return `127.0.0.1:${(server.address() as AddressInfo).port}`
  }))
  const pair = await startLocalNginx(upstreams)
  t.teardown(() => pair.stop())
  const busy = []
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${pair.base}/busy`)
    busy.push(res.status)
    t.equal(res.headers.get('retry-after'), '1', 'the app\'s Retry-After kept')
    await res.arrayBuffer()
  }
  t.same(new Set(busy), new Set([503]), `busy: ${busy.join(' ')}`)
  const after = []
  for (let i = 0; i < 10; i++) after.push((await fetch(`${pair.base}/`).then(async (res) => { await res.arrayBuffer(); return res.status })))
  t.same(new Set(after), new Set([200]), `every request after them served: ${after.join(' ')}`)

  // W3C trace context reaches the app unchanged, and nginx logs the traceparent.
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  const echoed = await (await fetch(`${pair.base}/echo`, { headers: { traceparent, tracestate: 'vendor=1' } })).json() as { traceparent?: string, tracestate?: string }
  t.equal(echoed.traceparent, traceparent, 'traceparent passed through')
  t.equal(echoed.tracestate, 'vendor=1', 'tracestate passed through')
  t.ok(await eventually(() => pair.accessLog().split('\n').some((l) => l && JSON.parse(l).traceparent === traceparent)), 'logged by nginx')
})

t.test('the app down: 502 JSON with the security headers', async (t) => {
  app.kill('SIGTERM')
  await new Promise((resolve) => app.once('exit', resolve))
  const res = await fetch(`${base}/api/info`)
  t.equal(res.status, 502)
  t.match(res.headers.get('content-type'), /application\/json/)
  t.match(await res.json(), { statusCode: 502, error: 'Bad Gateway' })
  checkSecurityHeaders(t, res, '502')
})
