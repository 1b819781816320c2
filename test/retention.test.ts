import t from 'tap'
import { build } from './helpers/app.ts'
import { backend, query } from './helpers/database.ts'

const insertVisits = (ageDays: number, count: number) => query(`
  INSERT INTO visits (visited_at, method, route, status_code, client_ip)
  SELECT now() - make_interval(days => $1) - n * interval '1 second', 'GET', '/', 200, '198.51.100.7' FROM generate_series(1, $2) AS n`, [ageDays, count])

t.test('visits older than VISITS_RETENTION_DAYS are deleted in batches; recent ones and the totals stay', async (t) => {
  const app = await build(t, { VISITS_RETENTION_DAYS: '30', VISITS_RETENTION_BATCH_SIZE: '100' })
  await insertVisits(45, 1_050)
  await insertVisits(5, 20)
  await query("INSERT INTO visit_totals (method, route, total) VALUES ('GET', '/', 1070)")
  const before = (await app.inject({ method: 'GET', url: '/api/stats' })).json().total_visits
  await app.visits.flush()

  t.equal(await app.retention.run(), 1_050, 'every visit past 30 days deleted, over 11 batches of 100')
  const [{ left, oldest }] = await query<{ left: number, oldest: number }>('SELECT count(*)::int AS left, max(extract(day FROM now() - visited_at))::int AS oldest FROM visits')
  t.equal(left, 20 + 1, 'the recent visits stay (and the stats request above)')
  t.ok(oldest <= 30, `the oldest left is ${oldest} days old`)
  await app.visits.flush()
  const after = (await app.inject({ method: 'GET', url: '/api/stats' })).json().total_visits
  t.equal(after, before + 1, 'total_visits unchanged by the deletion (one more: the stats request itself)')
  t.equal(await app.retention.run(), 0, 'nothing left to delete')
})

t.test('the Flask service\'s visits kept aside in flask_visits are deleted past the same age', async (t) => {
  const app = await build(t, { VISITS_RETENTION_DAYS: '30' })
  await query('CREATE TABLE flask_visits (id serial PRIMARY KEY, "timestamp" timestamp, endpoint varchar(255), ip_address varchar(45))')
  t.teardown(() => query('DROP TABLE IF EXISTS flask_visits'))
  await query(`INSERT INTO flask_visits ("timestamp", endpoint, ip_address) VALUES
    (now() - interval '40 days', '/', '198.51.100.1'), (now() - interval '2 days', '/', '198.51.100.2'), (NULL, '/', NULL)`)
  t.equal(await app.retention.run(), 1)
  const rows = await query<{ ip_address: string | null }>('SELECT ip_address FROM flask_visits ORDER BY id')
  t.same(rows.map((r) => r.ip_address), ['198.51.100.2', null], 'the recent one and the one of unknown age stay')
})

t.test('VISITS_RETENTION_DAYS=0 keeps every visit', async (t) => {
  const app = await build(t, { VISITS_RETENTION_DAYS: '0' })
  await insertVisits(4_000, 10)
  t.equal(await app.retention.run(), 0)
  const [{ n }] = await query<{ n: number }>('SELECT count(*)::int AS n FROM visits')
  t.equal(n, 10)
})

t.test('one instance deletes at a time: the others skip the round', { skip: backend === 'embedded' && 'two instances need a real PostgreSQL: the embedded one allows one process' }, async (t) => {
  const [a, b] = await Promise.all([build(t, { VISITS_RETENTION_BATCH_SIZE: '10' }), build(t, { VISITS_RETENTION_BATCH_SIZE: '10' })])
  await insertVisits(200, 500)
  const deleted = await Promise.all([a.retention.run(), b.retention.run()])
  t.equal(deleted[0] + deleted[1], 500, `every old visit deleted once (${deleted.join(' + ')})`)
})
