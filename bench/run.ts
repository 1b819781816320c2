// `npm run bench [-- options]`: the service's cost per request, each endpoint measured against
// its own ceiling in the same run (bench/ceiling.ts). See bench/README.md.
//
//   --connections N    concurrent connections (64)        --duration S   seconds per run (10)
//   --warmup S         seconds of warm-up per target (2)  --seed-visits N  also bench /api/stats with N visits
//   --url URL          measure a running service (e.g. through nginx) instead of starting one
//   --pool-sweep       GET and POST /api/users at DB_POOL_MAX 1, 2, 5, 10, 20
//   --no-nginx         skip the nginx and horizontal-scale runs
//   --retention-rows N visits past the retention age to delete under load (2000000; 0 skips)
//   --no-telemetry     skip the OpenTelemetry runs (off, 10 % and 100 % sampling)
//   --telemetry-rounds N  alternating rounds of the OpenTelemetry runs (5)
//   --telemetry-breakdown  also 10 % with each instrumentation left out, traces only, the SDK alone
//   --quick            the same endpoints, ceilings and telemetry modes in under 2 minutes, for a
//                      before/after: 1 s warm-up, 2 s runs, one telemetry round, no retention,
//                      nginx, seeding or pool sweep; its results are not the README's
//
// The output's first line is the verdict: how many goals are met, and each endpoint's req/s and CPU
// µs per request beside its ceiling's, with the ratio and met / not met; then one line per
// telemetry mode. A full run also writes bench/results/latest.{md,svg} and the latest run's section
// of bench/README.md.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { startLocalNginx } from '../deploy/nginx/local.ts'
import { INSTRUMENTATIONS } from '../config/telemetry.ts'
import { chartSvg, firstLine, pct, replaceBetween, TELEMETRY_GOALS, telemetryLines, type EndpointResult, type TelemetryMode } from './report.ts'
import { buildService, cpuSeconds, freshDatabase, load, loadCpu, median, NODE_OPTIONS, ROOT, sampleMemory, SERVERS, sql, startNode, startService, type Measure, type Server, type Target } from './lib.ts'

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'seed-visits': { type: 'string', default: '0' },
    url: { type: 'string' },
    'pool-sweep': { type: 'boolean', default: false },
    'no-nginx': { type: 'boolean', default: false },
    'retention-rows': { type: 'string', default: '2000000' },
    'no-telemetry': { type: 'boolean', default: false },
    'telemetry-rounds': { type: 'string', default: '5' },
    'telemetry-breakdown': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false }
  }
})
const quick = args.quick
if (quick) Object.assign(args, { duration: '2', warmup: '1', 'telemetry-rounds': '1', 'retention-rows': '0', 'no-nginx': true, 'seed-visits': '0', 'pool-sweep': false })
const connections = Number(args.connections)
const duration = Number(args.duration)
const warmup = Number(args.warmup)
const seedVisits = Number(args['seed-visits'])
const retentionRows = Number(args['retention-rows'])

interface Endpoint extends Target {
  /** The ceiling route of bench/ceiling.ts, and the share of it the service must reach. */
  ceiling: string
  target: number
}

const ENDPOINTS: Endpoint[] = [
  { name: 'GET /', method: 'GET', path: '/', ceiling: '/none', target: 0.6 },
  // Readiness answers from the background check's last result: no I/O, like GET /.
  { name: 'GET /health', method: 'GET', path: '/health', ceiling: '/none', target: 0.6 },
  { name: 'GET /api/stats', method: 'GET', path: '/api/stats', ceiling: '/counter', target: 0.85 },
  { name: 'GET /api/users', method: 'GET', path: '/api/users', ceiling: '/select', target: 0.85 },
  { name: 'GET /api/cache-test', method: 'GET', path: '/api/cache-test', ceiling: '/redis', target: 0.85 },
  { name: 'POST /api/users', method: 'POST', path: '/api/users', body: (n) => `{"username":"b$RUN_${n}"}`, ceiling: '/insert', target: 0.85 },
  { name: 'GET /api/info', method: 'GET', path: '/api/info', ceiling: '/none', target: 0.6 }
]

const { adminUrl, redisUrl } = SERVERS

// The latest full run's section of bench/README.md.
const LATEST_START = '<!-- latest run: written by npm run bench -->'
const LATEST_END = '<!-- end of the latest run -->'

const benchStarted = Date.now()
const log = (line: string) => process.stderr.write(`${String(Math.round((Date.now() - benchStarted) / 1000)).padStart(4)} s  ${line}\n`)
const ms = (x: number) => `${x} ms`

function healthy (m: Measure): boolean {
  return m.errors === 0 && m.timeouts === 0 && m.non2xx === 0 && m.p99 <= 10 * Math.max(m.p50, 1)
}

/** A warm-up, then the run; with `server`, its CPU time per request over the run (/proc). */
async function measure (base: string, target: Target, server?: Server): Promise<Measure & { cpuMicros: number }> {
  // --quick: the warm-up of every target before the runs is the only one.
  if (warmup > 0 && !quick) await load(base, target, connections, warmup)
  const { cpuMicros, ...m } = server ? await loadCpu(server, target, connections, duration) : { ...await load(base, target, connections, duration), cpuMicros: Number.NaN }
  log(`  ${target.name.padEnd(34)} ${String(m.rps).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  ${Number.isFinite(cpuMicros) ? `${Math.round(cpuMicros)} µs CPU/request  ` : ''}errors ${m.errors + m.timeouts}  non-2xx ${m.non2xx}`)
  return { ...m, cpuMicros }
}

async function seed (databaseUrl: string, visits: number): Promise<void> {
  // generate_series in the server: one statement, no row travels over the network.
  await sql(databaseUrl, `INSERT INTO visits (visited_at, method, route, status_code, client_ip)
    SELECT now() - make_interval(secs => g), 'GET', '/seeded', 200, '203.0.113.1' FROM generate_series(1, $1::bigint) AS g`, [visits])
  await sql(databaseUrl, `INSERT INTO visit_totals (method, route, total) VALUES ('GET', '/seeded', $1)
    ON CONFLICT (route, method) DO UPDATE SET total = visit_totals.total + EXCLUDED.total`, [visits])
}

function nginxAvailable (): boolean {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' })
    execFileSync('envsubst', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  connections,
  durationSeconds: duration
}
const md: string[] = []
// The verdict lines, first in the output; the chart of a run with ceilings.
const summary: string[] = []
let chartRows: EndpointResult[] = []

if (args.url) {
  // A running service: the endpoints only (no ceilings, no memory: they need the process).
  log(`bench ${args.url}: ${connections} connections, ${duration} s each`)
  const rows: Record<string, Measure> = {}
  for (const endpoint of ENDPOINTS) rows[endpoint.name] = await measure(args.url, endpoint)
  report.url = args.url
  report.endpoints = rows
  md.push(`| endpoint (${args.url}) | req/s | p50 | p99 | errors | non-2xx |`, '|---|---:|---:|---:|---:|---:|')
  for (const [name, m] of Object.entries(rows)) md.push(`| ${name} | ${m.rps} | ${ms(m.p50)} | ${ms(m.p99)} | ${m.errors + m.timeouts} | ${m.non2xx} |`)
} else {
  log('building (npm run build)')
  buildService()
  const databaseUrl = await freshDatabase(adminUrl, 'ecs_bench')
  log(`database ${new URL(databaseUrl).host}/ecs_bench (fresh), redis ${new URL(redisUrl).host}; ${connections} connections, ${warmup} s warm-up + ${duration} s per run`)

  // Retention off in the instance measured: its first round would fall inside the runs. The
  // deletion is measured on its own, below, by an instance that does it.
  const app = await startService(databaseUrl, { VISITS_RETENTION_DAYS: '0' })
  await sleep(1_000)
  const coldIdle = app.rss()
  const ceiling = await startNode([...NODE_OPTIONS, 'bench/ceiling.ts'], { NODE_ENV: 'production', DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: 'bench-ceiling:' }, '/none')
  await seed(databaseUrl, 1_000)
  // A page of users to list, as in use.
  await sql(databaseUrl, "INSERT INTO users (username) SELECT 'seed_' || g FROM generate_series(1, 100) AS g")

  // Warm both up on every target before anything counts: JIT, pools, prepared statements.
  for (const endpoint of ENDPOINTS) {
    await load(app.base, endpoint, connections, warmup)
    await load(ceiling.base, { ...endpoint, path: endpoint.ceiling }, connections, warmup)
  }
  await sleep(2_000)
  const warmIdle = app.rss()

  log('endpoint against its ceiling, one after the other:')
  const memory = sampleMemory(app)
  const rows: Array<{ endpoint: Endpoint, service: Measure & { cpuMicros: number }, ceiling: Measure & { cpuMicros: number }, ratio: number }> = []
  for (const endpoint of ENDPOINTS) {
    const bare = await measure(ceiling.base, { ...endpoint, name: `ceiling ${endpoint.ceiling}`, path: endpoint.ceiling }, ceiling)
    const ours = await measure(app.base, endpoint, app)
    rows.push({ endpoint, service: ours, ceiling: bare, ratio: ours.rps / bare.rps })
  }
  chartRows = rows.map(({ endpoint, service: m, ceiling: c }) => ({ name: endpoint.name, rps: m.rps, cpuMicros: m.cpuMicros, ceiling: endpoint.ceiling, ceilingRps: c.rps, ceilingCpuMicros: c.cpuMicros, target: endpoint.target, healthy: healthy(m) }))

  const stats: Record<string, { visits: number, measure: Measure }> = {}
  const visitsNow = async () => Number((await sql<{ total: string }>(databaseUrl, 'SELECT sum(total)::text AS total FROM visit_totals'))[0].total)
  const statsRow = rows.find((r) => r.endpoint.path === '/api/stats')!
  stats.small = { visits: 1_000, measure: statsRow.service }
  if (seedVisits > 0) {
    log(`seeding ${seedVisits} visits (generate_series)`)
    const started = Date.now()
    await seed(databaseUrl, seedVisits)
    log(`  seeded in ${Math.round((Date.now() - started) / 1000)} s`)
    const visits = await visitsNow()
    stats.large = { visits, measure: await measure(app.base, { ...statsRow.endpoint, name: `GET /api/stats (${visits} visits)` }) }
  }
  const peak = memory.stop()
  await sleep(10_000)
  const after = app.rss()

  md.push('| endpoint | req/s | p50 | p99 | CPU µs/req | errors | non-2xx | ceiling | ceiling req/s | ceiling CPU µs/req | ratio | target |', '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|')
  const µs = (x: number) => Number.isFinite(x) ? String(Math.round(x)) : '–'
  for (const { endpoint, service: m, ceiling: c, ratio } of rows) {
    const ok = ratio >= endpoint.target && healthy(m)
    md.push(`| ${endpoint.name} | ${m.rps} | ${ms(m.p50)} | ${ms(m.p99)} | ${µs(m.cpuMicros)} | ${m.errors + m.timeouts} | ${m.non2xx} | ${endpoint.ceiling} | ${c.rps} | ${µs(c.cpuMicros)} | ${pct(ratio)} | ≥ ${pct(endpoint.target)} ${ok ? 'met' : '**not met**'} |`)
  }
  if (stats.large) {
    const ratio = stats.large.measure.rps / stats.small.measure.rps
    md.push('', `GET /api/stats with ${stats.large.visits} visits recorded: ${stats.large.measure.rps} req/s, p99 ${ms(stats.large.measure.p99)}; at about ${stats.small.visits} visits (start of the run): ${stats.small.measure.rps} req/s — ${pct(ratio)} of it.`)
  }
  const health = rows.find((r) => r.endpoint.path === '/health')!
  const root = rows.find((r) => r.endpoint.path === '/')!
  md.push('', `GET /health: ${health.service.rps} req/s, ${pct(health.service.rps / root.service.rps)} of GET / (${root.service.rps} req/s) in the same run.`)
  md.push('', `Service resident memory: ${coldIdle} MB idle after start, ${warmIdle} MB idle after warm-up, peak ${peak} MB during the runs, ${after} MB 10 s after them (${pct(after / warmIdle)} of warm idle, ${pct(after / coldIdle)} of cold idle).`)
  report.endpoints = rows.map(({ endpoint, service: m, ceiling: c, ratio }) => ({ name: endpoint.name, ceilingRoute: endpoint.ceiling, target: endpoint.target, service: m, ceiling: c, ratio }))
  report.stats = stats
  report.memoryMb = { coldIdle, warmIdle, peak, after }

  if (retentionRows > 0) report.retention = await retention(databaseUrl, app, md)
  let modes: TelemetryMode[] = []
  if (!args['no-telemetry']) {
    const results = await telemetry(databaseUrl, md)
    report.telemetry = results
    modes = Object.entries(results).map(([mode, byName]) => ({ mode, byEndpoint: Object.fromEntries(Object.entries(byName).map(([name, r]) => [name, { rps: r.rps, cpuMicros: r.cpuMicrosPerRequest, healthy: healthy(r) }])) }))
  }
  summary.push(firstLine(chartRows, modes), ...telemetryLines(modes).map((l) => l.line))

  if (!args['no-nginx'] && nginxAvailable()) {
    log('through nginx (the project\'s config, loopback, upstream keepalive):')
    const limits = { NGINX_RATE_LIMIT: '1000000r/s', NGINX_RATE_BURST: '1000000' }
    const nginx = await startLocalNginx([new URL(app.base).host], limits)
    const proxied: Record<string, { direct: Measure, nginx: Measure, ratio: number }> = {}
    try {
      for (const endpoint of ENDPOINTS.filter((e) => ['GET /', 'GET /api/users', 'GET /api/info'].includes(e.name))) {
        const direct = rows.find((r) => r.endpoint === endpoint)!.service
        const through = await measure(nginx.base, { ...endpoint, name: `nginx ${endpoint.name}` })
        proxied[endpoint.name] = { direct, nginx: through, ratio: through.rps / direct.rps }
      }
    } finally {
      await nginx.stop()
    }
    md.push('', '| through nginx | req/s | p99 | direct req/s | ratio | target |', '|---|---:|---:|---:|---:|---|')
    for (const [name, p] of Object.entries(proxied)) md.push(`| ${name} | ${p.nginx.rps} | ${ms(p.nginx.p99)} | ${p.direct.rps} | ${pct(p.ratio)} | ≥ 70 % ${p.ratio >= 0.7 && healthy(p.nginx) ? 'met' : '**not met**'} |`)
    report.nginx = proxied

    log('horizontal: one and two instances behind nginx:')
    const second = await startService(databaseUrl)
    const scale: Record<string, Record<string, Measure>> = {}
    try {
      for (const [label, upstreams] of [['1 instance', [app]], ['2 instances', [app, second]]] as Array<[string, Server[]]>) {
        const lb = await startLocalNginx(upstreams.map((s) => new URL(s.base).host), limits)
        try {
          scale[label] = {}
          for (const endpoint of ENDPOINTS.filter((e) => ['GET /', 'GET /api/users'].includes(e.name))) {
            scale[label][endpoint.name] = await measure(lb.base, { ...endpoint, name: `${label}: ${endpoint.name}` })
          }
        } finally {
          await lb.stop()
        }
      }
    } finally {
      await second.stop()
    }
    md.push('', '| behind nginx | GET / req/s | GET /api/users req/s |', '|---|---:|---:|')
    for (const [label, m] of Object.entries(scale)) md.push(`| ${label} | ${m['GET /'].rps} | ${m['GET /api/users'].rps} |`)
    report.scale = scale
  } else {
    md.push('', 'nginx runs skipped (--no-nginx, or no nginx/envsubst on this machine).')
  }

  if (args['pool-sweep']) {
    log('pool sizes:')
    const sweep: Record<string, Record<string, Measure>> = {}
    for (const size of [1, 2, 5, 10, 20]) {
      const sized = await startService(databaseUrl, { DB_POOL_MAX: String(size) })
      try {
        sweep[size] = {}
        for (const endpoint of ENDPOINTS.filter((e) => e.path === '/api/users')) {
          sweep[size][endpoint.name] = await measure(sized.base, { ...endpoint, name: `pool ${size}: ${endpoint.name}` })
        }
      } finally {
        await sized.stop()
      }
    }
    md.push('', '| DB_POOL_MAX | GET /api/users req/s (p99) | POST /api/users req/s (p99) |', '|---:|---:|---:|')
    for (const [size, m] of Object.entries(sweep)) md.push(`| ${size} | ${m['GET /api/users'].rps} (${ms(m['GET /api/users'].p99)}) | ${m['POST /api/users'].rps} (${ms(m['POST /api/users'].p99)}) |`)
    report.poolSweep = sweep
  }

  const code = await app.stop()
  await ceiling.stop()
  md.push('', `Service exit code after the run: ${code}.`)
}

/**
 * Data retention under load: `retentionRows` visits past the age are seeded, then GET and POST
 * /api/users are measured on the service without any deletion, and again while a second
 * instance (VISITS_RETENTION_INTERVAL_MS 1 s) deletes them in its batches.
 */
async function retention (databaseUrl: string, app: Server, md: string[]) {
  const targets = ENDPOINTS.filter((e) => e.path === '/api/users')
  log(`retention: seeding ${retentionRows} visits 100 days old`)
  await sql(databaseUrl, `INSERT INTO visits (visited_at, method, route, status_code, client_ip)
    SELECT now() - interval '100 days' - make_interval(secs => g), 'GET', '/old', 200, '203.0.113.2' FROM generate_series(1, $1::bigint) AS g`, [retentionRows])
  await sql(databaseUrl, 'VACUUM ANALYZE visits')
  const old = async () => (await sql<{ left: boolean }>(databaseUrl, "SELECT EXISTS (SELECT 1 FROM visits WHERE visited_at < now() - interval '90 days') AS left"))[0].left
  const quiet: Record<string, Measure> = {}
  for (const target of targets) quiet[target.name] = await measure(app.base, { ...target, name: `${target.name} (no deletion)` })

  const deleter = await startService(databaseUrl, { VISITS_RETENTION_DAYS: '90', VISITS_RETENTION_INTERVAL_MS: '1000' })
  const started = Date.now()
  const during: Record<string, Measure> = {}
  let finished = 0
  const watch = (async () => {
    while (await old()) await sleep(200)
    finished = Date.now() - started
  })()
  for (const target of targets) during[target.name] = await measure(app.base, { ...target, name: `${target.name} (deleting)` })
  const loadEnded = Date.now() - started
  await watch
  await deleter.stop()
  const seconds = finished / 1000
  md.push('', `Retention: ${retentionRows} visits past the age deleted by one instance in ${seconds.toFixed(1)} s (${Math.round(retentionRows / seconds)} rows/s, batches of 5000); the loads below ran during the first ${(Math.min(loadEnded, finished) / 1000).toFixed(1)} s of it.`,
    '', '| endpoint | req/s, no deletion (p99) | req/s, deleting (p99) | ratio |', '|---|---:|---:|---:|')
  for (const target of targets) {
    const q = quiet[target.name]
    const d = during[target.name]
    md.push(`| ${target.name} | ${q.rps} (${ms(q.p99)}) | ${d.rps} (${ms(d.p99)}) | ${pct(d.rps / q.rps)} |`)
  }
  return { rows: retentionRows, deleteMs: finished, loadMs: loadEnded, quiet, during }
}

/**
 * OpenTelemetry's cost on GET / and GET /api/users: telemetry off (no OTEL_* variable), on with 10 %
 * of traces sampled, and on with every trace, exporting traces and metrics (every second: more
 * often than in use) over OTLP/HTTP protobuf to a collector stand-in in a process of its own
 * (bench/otlp-sink.ts). One instance per mode, all started at once and loaded in turn, round after
 * round (`--telemetry-rounds`, each run duration / rounds seconds): on a shared machine whose speed
 * drifts within minutes, a slow minute falls on every mode alike. Each row gives the median round
 * and the service's CPU time per request (Linux /proc), which the load generator's share of the
 * machine does not move. `--telemetry-breakdown` adds, at 10 %, one instance per instrumentation
 * left out (OTEL_NODE_DISABLED_INSTRUMENTATIONS), one without metrics (OTEL_METRICS_EXPORTER=none:
 * no duration histogram either), one with the SDK alone, and one with every instrumentation on and
 * no trace sampled (OTEL_TRACES_SAMPLER=always_off): where the cost goes.
 */
async function telemetry (databaseUrl: string, md: string[]) {
  const targets = ENDPOINTS.filter((e) => ['GET /', 'GET /api/users'].includes(e.name))
  const rounds = Math.max(1, Number(args['telemetry-rounds']))
  const seconds = Math.max(1, Math.round(duration / rounds))
  const sink = await startNode(['bench/otlp-sink.ts'], {}, '/')
  const on = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.base, OTEL_METRIC_EXPORT_INTERVAL: '1000' }
  const tenth = { ...on, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }
  const modes: Array<[string, Record<string, string>]> = [
    ['off', {}],
    ['10 % sampled', tenth],
    ['100 % sampled', { ...on, OTEL_TRACES_SAMPLER: 'parentbased_always_on' }],
    // Every instrumentation on, no trace ever sampled: what a request that is not sampled costs.
    ['none sampled', { ...on, OTEL_TRACES_SAMPLER: 'always_off' }]
  ]
  if (args['telemetry-breakdown']) {
    for (const name of INSTRUMENTATIONS) modes.push([`10 %, without ${name}`, { ...tenth, OTEL_NODE_DISABLED_INSTRUMENTATIONS: name }])
    modes.push(['10 %, traces only', { ...tenth, OTEL_METRICS_EXPORTER: 'none' }])
    modes.push(['10 %, SDK alone', { ...tenth, OTEL_NODE_DISABLED_INSTRUMENTATIONS: INSTRUMENTATIONS.join(',') }])
  }
  // Every instance holds a pool (DB_POOL_MAX, 10) and a readiness connection: with many, the
  // server's connection limit would refuse some. Each gets an equal share of what is free, at most
  // the default, the same for every mode.
  const [{ free }] = await sql<{ free: number }>(databaseUrl, `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
    - (SELECT count(*) FROM pg_stat_activity)::int AS free`)
  const poolMax = Math.max(1, Math.min(10, Math.floor(free / modes.length) - 2))
  const runs: Record<string, Record<string, Array<Measure & { cpuSeconds: number }>>> = {}
  const services: Array<[string, Server]> = []
  try {
    for (const [mode, env] of modes) services.push([mode, await startService(databaseUrl, { VISITS_RETENTION_DAYS: '0', DB_POOL_MAX: String(poolMax), ...env })])
    for (const [, svc] of services) for (const target of targets) await load(svc.base, target, connections, warmup)
    const memory = services.map(([mode, svc]) => [mode, sampleMemory(svc)] as const)
    log(`telemetry: ${modes.length} instances (DB_POOL_MAX ${poolMax}), ${rounds} rounds of ${seconds} s each, in turn:`)
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets) {
        for (const [mode, svc] of services) {
          const before = cpuSeconds(svc)
          const m = await load(svc.base, target, connections, seconds)
          const cpu = cpuSeconds(svc) - before
          ;((runs[mode] ??= {})[target.name] ??= []).push({ ...m, cpuSeconds: cpu })
          log(`  round ${round} ${`${target.name} (telemetry ${mode})`.padEnd(48)} ${String(m.rps).padStart(7)} req/s  p99 ${m.p99} ms  ${Number.isFinite(cpu) ? (cpu / m.requests * 1e6).toFixed(0) : '–'} µs CPU/request  errors ${m.errors + m.timeouts}  non-2xx ${m.non2xx}`)
        }
      }
    }
    const peaks = Object.fromEntries(memory.map(([mode, sampler]) => [mode, sampler.stop()]))
    const results: Record<string, Record<string, Measure & { cpuMicrosPerRequest: number, rounds: number[], rssPeak: number }>> = {}
    for (const [mode] of modes) {
      results[mode] = {}
      for (const target of targets) {
        const list = runs[mode][target.name]
        const sum = (key: 'requests' | 'errors' | 'timeouts' | 'non2xx' | 'bytes' | 'cpuSeconds') => list.reduce((total, m) => total + m[key], 0)
        results[mode][target.name] = {
          rps: median(list.map((m) => m.rps)),
          p50: median(list.map((m) => m.p50)),
          p99: median(list.map((m) => m.p99)),
          requests: sum('requests'),
          bytes: sum('bytes'),
          errors: sum('errors'),
          timeouts: sum('timeouts'),
          non2xx: sum('non2xx'),
          cpuMicrosPerRequest: Math.round(sum('cpuSeconds') / sum('requests') * 1e6),
          rounds: list.map((m) => m.rps),
          rssPeak: peaks[mode]
        }
      }
    }
    md.push('', `OpenTelemetry: one instance per mode (DB_POOL_MAX ${poolMax}), ${rounds} alternating rounds of ${seconds} s; median round, its ratio to off, and the service's CPU time per request over all rounds.`, '',
      '| telemetry | GET / req/s (p99) | ratio to off | CPU µs/req | GET /api/users req/s (p99) | ratio to off | CPU µs/req | peak rss | target at 10 % |', '|---|---:|---:|---:|---:|---:|---:|---:|---|')
    const failed = (m: Measure) => {
      const count = m.errors + m.timeouts + m.non2xx
      return count > 0 ? `, **${count} failed**` : ''
    }
    for (const [mode] of modes) {
      const r = results[mode]
      const ratios = targets.map((target) => r[target.name].rps / results.off[target.name].rps)
      // The production configuration's goals (bench/report.ts): a share of off per endpoint.
      const goals = targets.map((target, i) => [target.name, TELEMETRY_GOALS.tenth[target.name], ratios[i], healthy(r[target.name])] as const)
      const verdict = mode === '10 % sampled' ? goals.map(([name, goal, ratio, ok]) => `${name} ≥ ${pct(goal)} ${ratio >= goal && ok ? 'met' : '**not met**'}`).join(', ') : ''
      md.push(`| ${mode} | ${targets.map((target, i) => `${r[target.name].rps} (${ms(r[target.name].p99)}${failed(r[target.name])}) | ${pct(ratios[i])} | ${Number.isFinite(r[target.name].cpuMicrosPerRequest) ? r[target.name].cpuMicrosPerRequest : '–'}`).join(' | ')} | ${r[targets[0].name].rssPeak} MB | ${verdict} |`)
    }
    return results
  } finally {
    for (const [, svc] of services) await svc.stop()
    await sink.stop()
  }
}

const header = `Benchmark ${report.date}${quick ? ' (--quick)' : ''}: Node ${process.version}, ${report.cpus} CPUs, ${connections} connections, ${duration} s per run (autocannon, in its own process).`
const dir = join(ROOT, 'bench', 'results')
mkdirSync(dir, { recursive: true })
const stamp = (report.date as string).replace(/[:.]/g, '-')
const written = [`bench/results/${stamp}.json`, `bench/results/${stamp}.md`]
const body = [...md]
if (chartRows.length) {
  const svg = chartSvg(chartRows, header.replace(/ \(autocannon.*$/, ''))
  writeFileSync(join(dir, `${stamp}.svg`), svg)
  written.push(`bench/results/${stamp}.svg`)
  body.unshift(`![req/s and CPU µs per request, the service beside its ceiling](${quick ? `${stamp}.svg` : 'latest.svg'})`, '')
}
report.summary = summary
const table = [...summary, '', header, '', ...body].join('\n')
writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(report, null, 2))
writeFileSync(join(dir, `${stamp}.md`), `${table.replace('(latest.svg)', `(${stamp}.svg)`)}\n`)
if (chartRows.length && !quick) {
  // The results page shows the latest full run: its table and its chart.
  writeFileSync(join(dir, 'latest.svg'), chartSvg(chartRows, header.replace(/ \(autocannon.*$/, '')))
  writeFileSync(join(dir, 'latest.md'), `${table}\n`)
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(report, null, 2))
  const page = join(ROOT, 'bench', 'README.md')
  const latest = table.replace('(latest.svg)', '(results/latest.svg)').replace(/^\| /gm, '| ')
  writeFileSync(page, replaceBetween(readFileSync(page, 'utf8'), LATEST_START, LATEST_END, `${latest}\n\nThe JSON: \`bench/results/latest.json\` (also \`${stamp}.json\`); run as \`npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`.`))
  written.push('bench/results/latest.{json,md,svg}', 'bench/README.md (its latest run)')
}
// The verdict first, and again last, where a terminal leaves the reader.
process.stdout.write(`${summary.join('\n')}\n\n${table}\n\nwritten: ${written.join(', ')}\n`)
