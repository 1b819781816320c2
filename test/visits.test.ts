import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { build } from './helpers/app.ts'
import { query } from './helpers/database.ts'

async function totalVisits (app: Awaited<ReturnType<typeof build>>): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/api/stats' })
  t.equal(res.statusCode, 200)
  return res.json().total_visits
}

t.test('after a burst of N tracked requests, total_visits rises by exactly N once they are written', async (t) => {
  const app = await build(t)
  const before = await totalVisits(app) // this request is tracked too: one more visit
  const N = 500
  const answers = await Promise.all(Array.from({ length: N }, (_, i) =>
    app.inject({ method: 'GET', url: i % 2 ? '/' : '/api/info' })))
  t.ok(answers.every((r) => r.statusCode === 200))
  await sleep(20) // onResponse runs just after inject resolves
  await app.visits.flush()
  const after = await totalVisits(app)
  t.equal(after - before, N + 1, `${N} requests and the first stats read`)

  const stats = (await app.inject({ method: 'GET', url: '/api/stats' })).json()
  t.same(Object.keys(stats).sort(), ['dropped_visits', 'endpoints', 'pending_visits', 'timestamp', 'total_visits'])
  t.match(stats.endpoints, [{ method: 'GET', route: '/', visits: 250 }, { method: 'GET', route: '/api/info', visits: 250 }].concat())
})

t.test('each visit is stored with route, method, status, client IP and time; probes and unknown paths are not', async (t) => {
  const app = await build(t)
  await app.inject({ method: 'GET', url: '/health' })
  await app.inject({ method: 'GET', url: '/health/live' })
  await app.inject({ method: 'GET', url: '/docs/json' })
  await app.inject({ method: 'GET', url: '/no-such-route' })
  await app.inject({ method: 'POST', url: '/api/users', payload: { username: 42 } })
  await app.inject({ method: 'GET', url: '/api/users/7', remoteAddress: '203.0.113.9' })
  await sleep(20) // onResponse runs just after inject resolves
  await app.visits.flush()
  const rows = await query('SELECT method, route, status_code, client_ip, visited_at FROM visits ORDER BY id')
  t.equal(rows.length, 2)
  t.match(rows[0], { method: 'POST', route: '/api/users', status_code: 400, client_ip: '127.0.0.1' })
  t.match(rows[1], { method: 'GET', route: '/api/users/:id', status_code: 404, client_ip: '203.0.113.9' })
  t.ok(Date.now() - (rows[1].visited_at as Date).getTime() < 10_000)
})

t.test('the client IP comes from X-Forwarded-For only when a trusted proxy sent it', async (t) => {
  const app = await build(t, { TRUST_PROXY: '10.0.0.0/8' })
  await app.inject({ method: 'GET', url: '/', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '198.51.100.7' } })
  await app.inject({ method: 'GET', url: '/', remoteAddress: '203.0.113.50', headers: { 'x-forwarded-for': '198.51.100.8' } })
  await app.inject({ method: 'GET', url: '/', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' } })
  await sleep(20)
  await app.visits.flush()
  const ips = (await query<{ client_ip: string }>('SELECT client_ip FROM visits ORDER BY id')).map((r) => r.client_ip)
  t.same(ips, ['198.51.100.7', '203.0.113.50', '198.51.100.9'], 'trusted hop believed; untrusted peer and spoofed hops ignored')
})

t.test('closing the app flushes the buffer: no visit that got a response is lost', async (t) => {
  const app = await build(t, { VISITS_FLUSH_INTERVAL_MS: '250', VISITS_BATCH_SIZE: '10000' })
  const N = 300
  await Promise.all(Array.from({ length: N }, () => app.inject({ method: 'GET', url: '/' })))
  t.ok(app.visits.pending > 0, 'visits are still buffered')
  await app.close()
  const [{ total }] = await query<{ total: string }>('SELECT sum(total) AS total FROM visit_totals')
  t.equal(Number(total), N)
  const [{ count }] = await query<{ count: string }>('SELECT count(*) AS count FROM visits')
  t.equal(Number(count), N, 'rows and totals agree')
})

t.test('a visit the database refuses is dropped alone, counted and logged once; the others are written', async (t) => {
  const lines: string[] = []
  const logged = await build(t, { LOG_LEVEL: 'warn' }, undefined, { write: (line: string) => lines.push(line) })
  // The database refuses visits of one route (a constraint the test adds): a data error, 23514.
  await query("ALTER TABLE visits ADD CONSTRAINT no_info CHECK (route <> '/api/info')")
  t.teardown(() => query('ALTER TABLE visits DROP CONSTRAINT IF EXISTS no_info'))
  for (let i = 0; i < 30; i++) await logged.inject({ method: 'GET', url: i % 10 === 3 ? '/api/info' : '/' })
  await sleep(20)
  await logged.visits.flush()
  t.equal(logged.visits.pending, 0, 'nothing is kept for a retry that would fail again')
  const [{ total }] = await query<{ total: string }>("SELECT coalesce(sum(total), 0) AS total FROM visit_totals WHERE route = '/'")
  t.equal(Number(total), 27, 'every other visit is written')
  const health = (await logged.inject({ method: 'GET', url: '/health' })).json()
  t.match(health.visits, { pending: 0, dropped: 3, refused: 3 })
  const refusals = lines.filter((l) => l.includes('refused by the database'))
  t.equal(refusals.length, 1, 'one line for the reason, not one per row')
  t.match(JSON.parse(refusals[0]), { level: 50, err: { code: '23514' }, visit: { route: '/api/info' } })
})

t.test('HEAD is not a visit', async (t) => {
  const app = await build(t)
  for (const url of ['/', '/api/info', '/api/users']) t.equal((await app.inject({ method: 'HEAD', url })).statusCode, 200, `HEAD ${url}`)
  await app.inject({ method: 'GET', url: '/' })
  await sleep(20)
  await app.visits.flush()
  t.same(await query('SELECT method, route FROM visits'), [{ method: 'GET', route: '/' }])
})

t.test('X-Forwarded-For that is not an IP address is not stored: the peer is', async (t) => {
  const app = await build(t)
  const forwarded = ['<script>alert(1)</script>', 'x'.repeat(8000), "1' AND 1=1 --", '2001:db8::7', '198.51.100.7']
  for (const xff of forwarded) await app.inject({ method: 'GET', url: '/', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': xff } })
  await sleep(20)
  await app.visits.flush()
  const ips = (await query<{ client_ip: string }>('SELECT client_ip FROM visits ORDER BY id')).map((r) => r.client_ip)
  t.same(ips, ['127.0.0.1', '127.0.0.1', '127.0.0.1', '2001:db8::7', '198.51.100.7'])
  const [{ type }] = await query<{ type: string }>("SELECT data_type AS type FROM information_schema.columns WHERE table_name = 'visits' AND column_name = 'client_ip'")
  t.equal(type, 'inet', 'the column holds addresses only')
})
