// `npm run bench:capacity -- [--cpus 0.5] [--memory-mib 1024] [--duration 15] [--connections 64]
//   [--app-image IMAGE --app-env K=V ...]`:
// what one ECS task serves, measured as the task runs. The app and nginx images (built here,
// `docker build`) run in one cgroup holding the task's CPU quota and memory limit (Fargate's
// 0.5 vCPU / 1 GiB by default: deploy/infra's taskCpu and taskMemoryMiB), on the host's network
// as awsvpc's shared localhost, with the task definition's environment: telemetry at 10 % to an
// OTLP stand-in (bench/otlp-sink.ts, outside the cgroup: the task's collector sidecar would take
// its share of the quota too), PostgreSQL and Redis as `npm run bench` finds them. Each endpoint
// is loaded through nginx, as the load balancer does; per endpoint it reports req/s, the task's
// CPU per request (the cgroup's own accounting), its throttling, the database connections and
// the visit batches (statements and rows, read from the rows' xmin), log and response bytes per
// request, and the memory peak. docs/capacity.md is written from its output. `--app-image` measures
// another image serving the same HTTP surface on PORT the same way (the service it replaces),
// `--app-env` adding or overriding its variables.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { Redis } from 'ioredis'
import { freePort } from '../deploy/nginx/local.ts'
import { freshDatabase, load, ROOT, SERVERS, sql, startNode, type Measure, type Target } from './lib.ts'

const { values: args } = parseArgs({
  options: {
    cpus: { type: 'string', default: '0.5' },
    'memory-mib': { type: 'string', default: '1024' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '64' },
    'no-build': { type: 'boolean', default: false },
    'app-image': { type: 'string' },
    'app-env': { type: 'string', multiple: true, default: [] }
  }
})
const cpus = Number(args.cpus)
const memoryMib = Number(args['memory-mib'])
const duration = Number(args.duration)
const connections = Number(args.connections)
const name = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string }).name
const APP_IMAGE = args['app-image'] ?? `${name}-app:capacity`
const NGINX_IMAGE = `${name}-nginx:capacity`
const log = (line: string) => process.stderr.write(`${line}\n`)
// Bytes the app container has written to stdout and stderr so far (what the log driver ships).
const loggedBytes = (container: string) => Number(execFileSync('sh', ['-c', `docker logs ${container} 2>&1 | wc -c`], { encoding: 'utf8' }).trim())
const docker = (...a: string[]) => execFileSync('docker', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()

// The task's cgroup: cgroup v1 (a folder per controller) or v2 (one folder).
const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers')
const PARENT = `${name}-capacity-task`
const dirs = V2 ? { cpu: `/sys/fs/cgroup/${PARENT}`, cpuacct: `/sys/fs/cgroup/${PARENT}`, memory: `/sys/fs/cgroup/${PARENT}` } : { cpu: `/sys/fs/cgroup/cpu/${PARENT}`, cpuacct: `/sys/fs/cgroup/cpuacct/${PARENT}`, memory: `/sys/fs/cgroup/memory/${PARENT}` }

function makeTaskCgroup (): void {
  for (const dir of new Set(Object.values(dirs))) mkdirSync(dir, { recursive: true })
  const period = 100_000
  if (V2) {
    writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+cpu +memory')
    writeFileSync(`${dirs.cpu}/cpu.max`, `${Math.round(cpus * period)} ${period}`)
    writeFileSync(`${dirs.memory}/memory.max`, String(memoryMib * 1024 * 1024))
  } else {
    writeFileSync(`${dirs.cpu}/cpu.cfs_period_us`, String(period))
    writeFileSync(`${dirs.cpu}/cpu.cfs_quota_us`, String(Math.round(cpus * period)))
    writeFileSync(`${dirs.memory}/memory.limit_in_bytes`, String(memoryMib * 1024 * 1024))
  }
}

function removeTaskCgroup (): void {
  for (const dir of new Set(Object.values(dirs))) try { rmdirSync(dir) } catch {}
}

/** CPU seconds the task's cgroup has used, and how often the quota throttled it. */
function taskCpu (): { seconds: number, throttled: number } {
  if (V2) {
    const stat = Object.fromEntries(readFileSync(`${dirs.cpu}/cpu.stat`, 'utf8').trim().split('\n').map((l) => l.split(' ')))
    return { seconds: Number(stat.usage_usec) / 1e6, throttled: Number(stat.nr_throttled) }
  }
  const stat = Object.fromEntries(readFileSync(`${dirs.cpu}/cpu.stat`, 'utf8').trim().split('\n').map((l) => l.split(' ')))
  return { seconds: Number(readFileSync(`${dirs.cpuacct}/cpuacct.usage`, 'utf8')) / 1e9, throttled: Number(stat.nr_throttled) }
}

function memoryPeakMb (): number {
  const file = V2 ? `${dirs.memory}/memory.peak` : `${dirs.memory}/memory.max_usage_in_bytes`
  try { return Math.round(Number(readFileSync(file, 'utf8')) / 1024 / 1024) } catch { return Number.NaN }
}

/** A process's fields after its command (`/proc/PID/stat`): state is [0], ppid [1], utime [11], stime [12]. */
function stat (pid: number | string): string[] | undefined {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ') } catch { return undefined }
}

/** CPU seconds used so far by `pid` and, with `children`, every process whose parent it is. */
function processCpu (pid: number, children = false): number {
  let ticks = 0
  for (const entry of children ? readdirSync('/proc').filter((e) => /^\d+$/.test(e)) : [String(pid)]) {
    const fields = stat(entry)
    if (fields && (entry === String(pid) || Number(fields[1]) === pid)) ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / 100
}

const exportedTraces = async () => ((await (await fetch(`${sink.base}/received`)).json()) as Record<string, number>)['/v1/traces'] ?? 0

async function until200 (url: string, what: string): Promise<void> {
  const deadline = Date.now() + 120_000
  for (;;) {
    try { if ((await fetch(url)).status === 200) return } catch {}
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url}`)
    await sleep(250)
  }
}

if (!args['no-build']) {
  log(`building ${APP_IMAGE} and ${NGINX_IMAGE} (docker build --network host)`)
  // As the project builds them (deploy/docker-build.sh: an engine older than 25 gets the app's
  // Dockerfile without HEALTHCHECK --start-interval).
  if (!args['app-image']) execFileSync('deploy/docker-build.sh', ['--network', 'host', '-q', '-t', APP_IMAGE, '.'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  execFileSync('deploy/docker-build.sh', ['--network', 'host', '-q', '-t', NGINX_IMAGE, 'deploy/nginx'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
}

const databaseUrl = await freshDatabase(SERVERS.adminUrl, 'ecs_capacity')
const database = new URL(databaseUrl).pathname.slice(1)
const redis = new Redis(SERVERS.redisUrl, { lazyConnect: false })
const redisClients = async () => Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))?.[1])
const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1])
// One connection of its own for the samples (not one per sample, which would add logins and
// forks to the database measured); its own backend is left out of the counts.
const monitor = new pg.Client({ connectionString: databaseUrl })
await monitor.connect()
const connectionsNow = async () => Number((await monitor.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])).rows[0].n)
// The PostgreSQL server's processes: the postmaster (the parent of this backend) and its children.
const postmaster = Number(stat((await monitor.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid)?.[1])
if (execFileSync('docker', ['info', '-f', '{{.CgroupDriver}}'], { encoding: 'utf8' }).trim() !== 'cgroupfs') throw new Error('bench:capacity makes the task\'s cgroup itself: it needs Docker\'s cgroupfs driver (docker info: Cgroup Driver)')
const sink = await startNode(['bench/otlp-sink.ts'], {}, '/')
const [appPort, nginxPort] = [await freePort(), await freePort()]
const containers = { app: `${name}-capacity-app`, nginx: `${name}-capacity-nginx` }
for (const c of Object.values(containers)) try { docker('rm', '-f', c) } catch {}
makeTaskCgroup()
const redisBefore = await redisClients()

const env = (vars: Record<string, string>) => Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`])
const run = (container: string, image: string, vars: Record<string, string>) => docker('run', '-d', '--name', container, '--network', 'host', `--cgroup-parent=/${PARENT}`, ...env(vars), image)

let exitCode = 0
try {
  // The task definition's app environment (deploy/infra/lib/constructs/service.ts and
  // collector.ts), with this machine's database and Redis; migrations run at start here (a fresh
  // database), where the task leaves them to the migration task.
  run(containers.app, APP_IMAGE, {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(appPort),
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    REDIS_URL: SERVERS.redisUrl,
    REDIS_KEY_PREFIX: 'capacity:',
    TRUST_PROXY: '127.0.0.1',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.base,
    OTEL_SERVICE_NAME: name,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
    OTEL_METRIC_EXPORT_INTERVAL: '60000'
  })
  // nginx as in the task, but without its per-client rate limit (50 r/s per address): the load
  // comes from one address here, from thousands through the load balancer.
  run(containers.nginx, NGINX_IMAGE, { APP_UPSTREAM: `127.0.0.1:${appPort}`, NGINX_PORT: String(nginxPort), NGINX_TRUSTED_PROXIES: '127.0.0.1/32', NGINX_RATE_LIMIT: '1000000r/s', NGINX_RATE_BURST: '1000000' })
  const base = `http://127.0.0.1:${nginxPort}`
  await until200(`http://127.0.0.1:${appPort}/health`, 'the app')
  await until200(`${base}/health`, 'nginx')
  await sql(databaseUrl, "INSERT INTO users (username) SELECT 'seed_' || g FROM generate_series(1, 100) AS g")
  const idleConnections = await connectionsNow()

  const targets: Target[] = [
    { name: 'GET /', method: 'GET', path: '/' },
    { name: 'GET /api/users', method: 'GET', path: '/api/users' },
    { name: 'GET /api/cache-test', method: 'GET', path: '/api/cache-test' }
  ]
  log(`${cpus} vCPU, ${memoryMib} MiB (cgroup ${V2 ? 'v2' : 'v1'} /${PARENT}); ${connections} connections, ${duration} s per endpoint after 3 s of warm-up`)
  const rows: Array<Record<string, number | string>> = []
  for (const target of targets) {
    await load(base, target, connections, 3)
    // The warm-up's spans reach the sink within the span processor's delay (OTEL_BSP_SCHEDULE_DELAY, 5 s).
    await sleep(6_000)
    const [{ max }] = await sql(databaseUrl, 'SELECT coalesce(max(id), 0) AS max FROM visits')
    const logBytes = loggedBytes(containers.app)
    const nginxLogBytes = loggedBytes(containers.nginx)
    const cpu = taskCpu()
    const [pgCpu, redisCpu, exportedBytes] = [processCpu(postmaster, true), processCpu(redisPid), await exportedTraces()]
    let peakConnections = 0
    let peakRedis = 0
    const sampler = setInterval(() => {
      connectionsNow().then((n) => { peakConnections = Math.max(peakConnections, n) }, () => {})
      redisClients().then((n) => { peakRedis = Math.max(peakRedis, n - redisBefore) }, () => {})
    }, 500)
    const m: Measure = await load(base, target, connections, duration)
    clearInterval(sampler)
    const after = taskCpu()
    const [pgAfter, redisAfter] = [processCpu(postmaster, true), processCpu(redisPid)]
    await sleep(1_500) // the last batch written (VISITS_FLUSH_INTERVAL_MS is 100)
    const [visits] = await sql(databaseUrl, 'SELECT count(*) AS rows, count(DISTINCT xmin::text) AS batches FROM visits WHERE id > $1', [max])
    const logged = loggedBytes(containers.app) - logBytes
    const nginxLogged = loggedBytes(containers.nginx) - nginxLogBytes
    // The run's spans, exported within the span processor's delay (5 s).
    await sleep(6_000)
    const telemetryBytes = await exportedTraces() - exportedBytes
    const perThousand = (n: number) => Math.round(n / m.requests * 1000 * 10) / 10
    rows.push({
      endpoint: target.name,
      rps: m.rps,
      p99: m.p99,
      errors: m.errors + m.timeouts,
      non2xx: m.non2xx,
      cpuMicrosPerRequest: Math.round((after.seconds - cpu.seconds) / m.requests * 1e6),
      cpuUtilisation: Math.round((after.seconds - cpu.seconds) / duration / cpus * 100),
      throttledPeriods: after.throttled - cpu.throttled,
      postgresCpuMicrosPerRequest: Math.round((pgAfter - pgCpu) / m.requests * 1e6),
      redisCpuMicrosPerRequest: Math.round((redisAfter - redisCpu) / m.requests * 1e6),
      dbConnections: peakConnections,
      redisConnections: peakRedis,
      visitRowsPer1000: perThousand(Number(visits.rows)),
      visitBatchesPerSecond: Math.round(Number(visits.batches) / duration * 10) / 10,
      rowsPerBatch: Math.round(Number(visits.rows) / Math.max(1, Number(visits.batches))),
      logBytesPerRequest: Math.round(logged / m.requests),
      nginxLogBytesPerRequest: Math.round(nginxLogged / m.requests),
      traceBytesPerRequest: Math.round(telemetryBytes / m.requests),
      responseBytesPerRequest: Math.round(m.bytes / m.requests)
    })
    log(`${target.name}: ${m.rps} req/s`)
  }
  const report = { date: new Date().toISOString(), image: APP_IMAGE, node: args['app-image'] ? '' : docker('run', '--rm', '--entrypoint', 'node', APP_IMAGE, '--version'), cpus, memoryMib, connections, durationSeconds: duration, idleDbConnections: idleConnections, memoryPeakMb: memoryPeakMb(), endpoints: rows }
  const file = join(ROOT, 'bench', 'results', args['app-image'] ? `capacity-${args['app-image'].replace(/[^\w.-]+/g, '_')}.json` : 'capacity-latest.json')
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  const cols = Object.keys(rows[0])
  console.log([
    `One task: ${cpus} vCPU, ${memoryMib} MiB, app and nginx in one cgroup, telemetry at 10 %; ${connections} connections through nginx, ${duration} s per endpoint (${report.node}, ${new Date().toISOString().slice(0, 10)}); memory peak ${report.memoryPeakMb} MB; database connections idle ${idleConnections}`,
    '',
    `| ${cols.join(' | ')} |`, `|${cols.map((_c, i) => i === 0 ? '---' : '---:').join('|')}|`,
    ...rows.map((r) => `| ${cols.map((c) => r[c]).join(' | ')} |`),
    '', `JSON: ${file.slice(ROOT.length + 1)}`
  ].join('\n'))
} catch (err) {
  exitCode = 1
  log(String((err as Error).stack ?? err))
  try { log(docker('logs', '--tail', '30', containers.app)) } catch {}
} finally {
  for (const c of Object.values(containers)) try { docker('rm', '-f', c) } catch {}
  await sink.stop()
  await redis.quit()
  await monitor.end()
  await sleep(500)
  removeTaskCgroup()
}
process.exit(exitCode)
