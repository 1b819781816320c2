// `npm run soak [-- --duration 60 --connections 64]`: mixed reads and writes held against the
// built service on loopback (a client of this process per connection), then the books checked.
// Exits 1 when any check fails; CI runs it.
//   - no errors, no non-2xx answers
//   - memory flat: after the warm-up, resident memory does not trend upwards
//   - users in the table = 201s received; total_visits = answers to tracked routes, plus the
//     requests of clients that hung up early and reached the service
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { hangUp, MixedLoad } from '../test/helpers/load.ts'
import { buildService, freshDatabase, ROOT, SERVERS, sql, startService } from './lib.ts'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '15' },
    // Clients that send a tracked request and hang up 0-10 ms later (RST or FIN), without pause.
    'hang-ups': { type: 'string', default: '8' }
  }
})
const duration = Number(args.duration)
const warmup = Number(args.warmup)
buildService()
const databaseUrl = await freshDatabase(SERVERS.adminUrl, 'ecs_soak')
const app = await startService(databaseUrl, { REDIS_KEY_PREFIX: `soak:${Date.now()}:` })
const idle = app.rss()

const samples: Array<{ t: number, rss: number }> = []
const started = Date.now()
const sampler = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, rss: app.rss() }), 1_000)
// Each client goes round the mix (test/helpers/load.ts): writes (a user, the counter) are two requests
// in six, and every request is a tracked visit. A client finishes the request it has in flight
// before it stops, so every request sent is counted with its answer.
const load = new MixedLoad(app.base, Number(args.connections))
load.start()
const deadline = Date.now() + duration * 1000
let hungUp = 0
const { port } = new URL(app.base)
const hangers = Array.from({ length: Number(args['hang-ups']) }, async (_, client) => {
  for (let i = client; Date.now() < deadline; i++) if (await hangUp(Number(port), '/api/users?limit=100', i % 11, i % 2 === 0)) hungUp++
})
await sleep(duration * 1000)
await Promise.all(hangers)
const result = await load.stop()
clearInterval(sampler)
const peak = Math.max(...samples.map((s) => s.rss))
await sleep(500)
const code = await app.stop() // flushes the visit buffer

const statusCounts = result.byStatus
const answered = Object.values(statusCounts).reduce((a, b) => a + b, 0)
const non2xx = Object.entries(statusCounts).filter(([status]) => !status.startsWith('2')).reduce((a, [, n]) => a + n, 0)
const [{ users }] = await sql<{ users: number }>(databaseUrl, 'SELECT count(*)::int AS users FROM users')
const [{ visits }] = await sql<{ visits: number }>(databaseUrl, 'SELECT coalesce(sum(total), 0)::int AS visits FROM visit_totals')

// Memory trend after the warm-up: least-squares slope of RSS over time, in MB a minute.
const steady = samples.filter((s) => s.t >= warmup)
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const tMean = mean(steady.map((s) => s.t))
const rMean = mean(steady.map((s) => s.rss))
const slope = steady.reduce((a, s) => a + (s.t - tMean) * (s.rss - rMean), 0) / steady.reduce((a, s) => a + (s.t - tMean) ** 2, 0) * 60
const firstThird = mean(steady.slice(0, Math.ceil(steady.length / 3)).map((s) => s.rss))
const lastThird = mean(steady.slice(-Math.ceil(steady.length / 3)).map((s) => s.rss))

const checks: Array<[string, boolean]> = [
  [`no errors (${result.errors}: ${JSON.stringify(result.errorsByCode)})`, result.errors === 0],
  [`no non-2xx answers (${non2xx})`, non2xx === 0],
  [`users in the table = 201s received (${users} = ${statusCounts['201'] ?? 0})`, users === (statusCounts['201'] ?? 0)],
  // A request whose client hung up is a visit when it reached the service: between the answered
  // and the answered plus those sent. Recording that stops (as it once did) shows as fewer.
  [`total_visits = tracked requests answered, plus those of the ${hungUp} hung up that reached the service (${result.tracked} <= ${visits} <= ${result.tracked + hungUp})`, visits >= result.tracked && visits <= result.tracked + hungUp],
  [`memory flat after ${warmup} s of warm-up: ${slope.toFixed(2)} MB/min trend, last third ${lastThird.toFixed(1)} MB vs first third ${firstThird.toFixed(1)} MB`, lastThird <= firstThird * 1.05 + 2],
  [`clean exit (code ${code})`, code === 0]
]

const summary = {
  date: new Date().toISOString(),
  durationSeconds: duration,
  connections: Number(args.connections),
  requests: answered,
  hungUp,
  rps: Math.round(answered / duration),
  latencyMs: { p50: load.percentile(50), p99: load.percentile(99), max: result.maxLatencyMs },
  statusCounts,
  errors: result.errors,
  usersCreated: users,
  totalVisits: visits,
  memoryMb: { idle, peak, firstThird: Math.round(firstThird * 10) / 10, lastThird: Math.round(lastThird * 10) / 10, trendMbPerMinute: Math.round(slope * 100) / 100 },
  checks: Object.fromEntries(checks)
}
const dir = join(ROOT, 'bench', 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, `soak-${summary.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(summary, null, 2))
console.log(`soak: ${duration} s at ${summary.connections} connections and ${args['hang-ups']} clients hanging up (${hungUp} requests), ${answered} requests (${summary.rps} req/s), p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms, max ${summary.latencyMs.max} ms; answers ${JSON.stringify(statusCounts)}`)
console.log(`memory: ${idle} MB idle, peak ${peak} MB`)
for (const [label, ok] of checks) console.log(`${ok ? 'ok    ' : 'FAILED'} ${label}`)
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1
