// What the benchmark and the soak run share: the service and the ceiling server as processes of
// their own, the load generator (autocannon, in this process), and memory sampling.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { freePort } from '../deploy/nginx/local.ts'
import { sql } from '../test/helpers/sql.ts'

export { sql }

export const ROOT = join(import.meta.dirname, '..')

/** The V8 heap settings the service ships with (package.json config.node_options, the image's NODE_OPTIONS). */
export const NODE_OPTIONS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { config: { node_options: string } }).config.node_options.split(' ')

const env = process.env

/**
 * The servers of a run, from the service's own variables, else the local ones: PostgreSQL as a
 * role that may create databases (each run makes a fresh one), and Redis.
 */
export const SERVERS = {
  adminUrl: env.DATABASE_URL ?? (env.DB_HOST ? `postgres://${env.DB_USER ?? 'postgres'}${env.DB_PASSWORD ? `:${encodeURIComponent(env.DB_PASSWORD)}` : ''}@${env.DB_HOST}:${env.DB_PORT ?? 5432}/${env.DB_NAME ?? 'postgres'}` : 'postgres://postgres@127.0.0.1:5432/postgres'),
  redisUrl: env.REDIS_URL ?? (env.REDIS_HOST ? `redis://${env.REDIS_HOST}:${env.REDIS_PORT ?? 6379}` : 'redis://127.0.0.1:6379')
}

/** `npm run build`: the runs measure the compiled service, as it ships. */
export function buildService (): void {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' })
}

export interface Target {
  name: string
  method: 'GET' | 'POST'
  path: string
  /** POST bodies: a function of the request's sequence number (unique usernames). */
  body?: (n: number) => string
}

export interface Measure {
  rps: number
  p50: number
  p99: number
  requests: number
  errors: number
  timeouts: number
  non2xx: number
  /** Bytes the load generator read (responses, headers included). */
  bytes: number
}

export interface Server {
  base: string
  child: ChildProcess
  /** Resident memory now, MB. */
  rss (): number
  stop (): Promise<number | null>
}

/** Resident memory of a process, MB (Linux /proc). */
export function residentMb (pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Math.round(Number(kb) / 1024 * 10) / 10
}

/** Runs `node args` with `env` on a free port; resolves once `probe` answers 200. */
export async function startNode (args: string[], env: Record<string, string | undefined>, probe: string): Promise<Server> {
  const port = await freePort()
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // The caller's OTEL_* variables stay out: a run's telemetry is only what `env` says, so
    // "telemetry off" is off even from a shell that exports to a collector.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_'))), HOST: '127.0.0.1', PORT: String(port), ...env },
    // The service logs at its production level; the lines go nowhere, as to a log driver.
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${base}${probe}`)).status === 200) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not answer ${probe}`)
    await sleep(100)
  }
  return {
    base,
    child,
    rss: () => residentMb(child.pid as number),
    async stop () {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit')
      return code as number | null
    }
  }
}

/**
 * The built service as it ships (production mode, `info` logs, the image's heap bounds, the
 * telemetry preload, which loads nothing unless an OTEL_* variable asks) on `databaseUrl`;
 * `nodeArgs` go before the entry point (e.g. --cpu-prof).
 */
export function startService (databaseUrl: string, serviceEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Server> {
  return startNode([...NODE_OPTIONS, ...nodeArgs, '--import', './dist/telemetry/preload.js', 'dist/server.js'], {
    NODE_ENV: 'production', LOG_LEVEL: 'info', DATABASE_URL: databaseUrl, REDIS_URL: SERVERS.redisUrl, REDIS_KEY_PREFIX: 'bench:', ...serviceEnv
  }, '/health')
}

let sequence = 0

/** autocannon at `connections` for `seconds` on one target. */
export async function load (base: string, target: Target, connections: number, seconds: number): Promise<Measure> {
  const run = `${process.pid.toString(36)}${Date.now().toString(36)}`
  const result = await autocannon({
    url: `${base}${target.path}`,
    method: target.method,
    connections,
    duration: seconds,
    headers: target.body ? { 'content-type': 'application/json' } : {},
    requests: target.body
      ? [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: target.body!(sequence++).replace('$RUN', run) }) }]
      : undefined
  })
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    bytes: result.throughput.total
  }
}

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU time (user + system) the server's process has used, seconds (Linux /proc; NaN elsewhere). */
export function cpuSeconds (server: Server): number {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
  } catch {
    return Number.NaN
  }
}

/** One load of `target` on `server` with the server's CPU time per request over it, µs (/proc). */
export async function loadCpu (server: Server, target: Target, connections: number, seconds: number): Promise<Measure & { cpuMicros: number }> {
  const before = cpuSeconds(server)
  const m = await load(server.base, target, connections, seconds)
  return { ...m, cpuMicros: (cpuSeconds(server) - before) / m.requests * 1e6 }
}

/** The middle value (the lower of the two middle ones for an even count). */
export function median (values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] as number
}

/** A frame of a V8 CPU or heap profile as the bench prints it: `name file:line`, and the package it belongs to (`node core`, `service`, a pseudo-frame such as `(garbage collector)`, or `native`). */
export function frameOf ({ functionName, url, lineNumber }: { functionName: string, url: string, lineNumber: number }): { key: string, pkg: string } {
  const where = url.replace(/^file:\/\//, '').replace(ROOT + '/', '')
  const key = `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('node:') ? 'node core' : where === '' ? functionName.startsWith('(') ? functionName : 'native' : 'service')
  return { key, pkg }
}

/** The service's telemetry as in production, exporting to `sink` (bench/otlp-sink.ts) with 10 % of traces sampled; none without a sink. */
export function sampledTenth (sink: Server | undefined): Record<string, string> {
  return sink ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.base, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } : {}
}

/** Samples `server`'s resident memory every `everyMs` until stopped; returns the peak. */
export function sampleMemory (server: Server, everyMs = 200) {
  let peak = server.rss()
  const timer = setInterval(() => { peak = Math.max(peak, server.rss()) }, everyMs)
  return { stop: () => { clearInterval(timer); return peak } }
}

/** A database of its own for a run on `adminUrl`'s server, created empty (dropped first if there). */
export async function freshDatabase (adminUrl: string, name: string): Promise<string> {
  await sql(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  await sql(adminUrl, `CREATE DATABASE "${name}"`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}
