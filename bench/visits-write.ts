// `npm run bench:visits`: the two ways to write a flush of visits, timed on the configured
// PostgreSQL: the service's single statement (unnest of column arrays, rows and running totals
// together) against COPY FROM STDIN followed by the totals upsert, in one transaction.
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { INSERT_BATCH } from '../plugins/app/visits.ts'
import { migrate } from '../lib/migrate.ts'
import { freshDatabase, SERVERS } from './lib.ts'

const BATCH = 2_000 // VISITS_BATCH_SIZE
const BATCHES = 100
const ROUTES = [['GET', '/'], ['GET', '/api/users'], ['POST', '/api/users'], ['GET', '/api/stats']]

const url = await freshDatabase(SERVERS.adminUrl, 'ecs_bench_visits')
const client = new pg.Client({ connectionString: url })
await client.connect()
await migrate(client)

function batch () {
  const now = Date.now()
  return Array.from({ length: BATCH }, (_, i) => {
    const [method, route] = ROUTES[i % ROUTES.length]
    return { at: now + i, method, route, status: 200, ip: `203.0.113.${i % 250}` }
  })
}

async function unnestInsert (visits: ReturnType<typeof batch>) {
  await client.query({
    name: 'visits-insert-batch',
    text: INSERT_BATCH,
    values: [visits.map((v) => v.at), visits.map((v) => v.method), visits.map((v) => v.route), visits.map((v) => v.status), visits.map((v) => v.ip)]
  })
}

async function copyThenTotals (visits: ReturnType<typeof batch>) {
  const totals = new Map<string, number>()
  for (const v of visits) totals.set(`${v.method} ${v.route}`, (totals.get(`${v.method} ${v.route}`) ?? 0) + 1)
  const keys = [...totals.keys()].sort()
  await client.query('BEGIN')
  const lines = visits.map((v) => `${new Date(v.at).toISOString()}\t${v.method}\t${v.route}\t${v.status}\t${v.ip}\n`).join('')
  await pipeline(Readable.from([lines]), client.query(copyFrom('COPY visits (visited_at, method, route, status_code, client_ip) FROM STDIN')))
  await client.query({
    name: 'visits-totals-upsert',
    text: `INSERT INTO visit_totals AS t (method, route, total)
      SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
      ON CONFLICT (route, method) DO UPDATE SET total = t.total + EXCLUDED.total`,
    values: [keys.map((k) => k.split(' ')[0]), keys.map((k) => k.split(' ')[1]), keys.map((k) => totals.get(k))]
  })
  await client.query('COMMIT')
}

const results: Record<string, number> = {}
for (const [name, write] of [['unnest INSERT (one statement)', unnestInsert], ['COPY + totals upsert (transaction)', copyThenTotals]] as const) {
  for (let i = 0; i < 10; i++) await write(batch()) // warm-up
  const started = performance.now()
  for (let i = 0; i < BATCHES; i++) await write(batch())
  const seconds = (performance.now() - started) / 1000
  results[name] = Math.round(BATCH * BATCHES / seconds)
  console.log(`${name.padEnd(36)} ${results[name]} visits/s (${BATCHES} batches of ${BATCH}, ${Math.round(seconds * 1000 / BATCHES)} ms a batch)`)
}
await client.end()
