import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { pathToFileURL } from 'node:url'
import { basename, join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import Fastify, { type FastifyInstance } from 'fastify'
import type pg from 'pg'
import { Redis } from 'ioredis'
import { PGlite } from '@electric-sql/pglite'
import tap from 'tap'
import serviceApp, { loadConfig, serverOptions, type Config } from '../app.ts'
import { NOT_RUN_FILE, serversMode, testServers } from './setup/servers.ts'
import { sql } from './sql.ts'

type Test = Pick<typeof tap, 'teardown'>

// Each test file (one process) gets its own database and Redis key prefix, so files run in parallel.
const runId = `${basename(process.argv[1] ?? 'test', '.ts').replace(/\W/g, '_').toLowerCase()}_${process.pid}_${randomBytes(3).toString('hex')}`

/**
 * The back end the contract tests run on: the run's PostgreSQL and Redis servers, or, with
 * TEST_BACKEND=embedded (test/embedded/) or when the run found no servers, the embedded
 * PostgreSQL and in-process cache the service uses when none is configured. One set of tests,
 * two back ends.
 */
export const backend: 'servers' | 'embedded' = process.env.TEST_BACKEND === 'embedded' || serversMode() === 'none' ? 'embedded' : 'servers'

/**
 * The `tap` of a test file whose tests need a real PostgreSQL and Redis (or the binaries to run
 * their own). When the run found none (test/setup/start-servers.ts), each of its tests is
 * skipped with the reason, and the file is named in the run's NOT RUN list.
 */
export function serverTests (): typeof tap {
  if (serversMode() !== 'none') return tap
  const file = relative(join(import.meta.dirname, '..'), process.argv[1] ?? 'unknown')
  appendFileSync(NOT_RUN_FILE, `${file}\n`)
  const skip = 'needs a real PostgreSQL and Redis, and this run found none (README, "Tests")'
  return new Proxy(tap, {
    get (target, property) {
      if (property === 'test') return (name: string) => target.test(name, { skip }, () => {})
      if (property === 'teardown' || property === 'before') return () => {}
      return Reflect.get(target, property)
    }
  })
}

let database: Promise<string> | undefined
let embeddedDir: string | undefined

/** This test file's embedded data directory, kept across its apps like its own database is. */
function embeddedDatabaseDir (): string {
  if (!embeddedDir) {
    const dir = mkdtempSync(join(tmpdir(), `pglite-${runId}-`))
    tap.teardown(() => rmSync(dir, { recursive: true, force: true }))
    embeddedDir = dir
  }
  return embeddedDir
}

/** A database of this test file's own, on the run's PostgreSQL, dropped when the file ends. */
export function testDatabaseUrl (): Promise<string> {
  database ??= newDatabase()
  return database
}

let databases = 0

/** Another empty database on the run's PostgreSQL, dropped when the file ends. */
export async function newDatabase (): Promise<string> {
  const admin = testServers().databaseUrl
  const name = `t_${runId}`.slice(0, 58) + (databases++ === 0 ? '' : `_${databases}`)
  await sql(admin, `CREATE DATABASE "${name}"`)
  tap.teardown(() => sql(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  const url = new URL(admin)
  url.pathname = `/${name}`
  return url.toString()
}

export const keyPrefix = `test:${runId}:`

/** The configuration of a test app: this file's database and key prefix, quiet logs, plus `env`. */
export async function testConfig (env: Record<string, string> = {}): Promise<Config> {
  const servers = backend === 'embedded'
    ? { EMBEDDED_DATABASE_DIR: embeddedDatabaseDir() }
    : { DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl }
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...servers,
    REDIS_KEY_PREFIX: keyPrefix,
    // The pressure guard off: test files run in parallel on small, busy machines, where a
    // process can go without CPU for a whole sample (which the guard reads as an infinite
    // delay) whatever the limit. pressure.test.ts sets a limit to test the guard.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env
  })
}

/**
 * The real app, built through app.ts exactly as server.ts builds it, closed when `t` ends.
 * `logStream` receives its log lines (JSON, one a write) instead of standard output.
 */
export async function build (t: Test, env: Record<string, string> = {}, setup?: (app: FastifyInstance) => void, logStream?: { write (line: string): void }): Promise<FastifyInstance> {
  const config = await testConfig(env)
  const options = serverOptions(config)
  if (logStream) options.logger = { ...(options.logger as object), stream: logStream }
  const app = Fastify(options)
  await app.register(fp(serviceApp), { config })
  setup?.(app)
  app.addHook('onClose', async () => { if (app.embeddedDatabase) openEmbedded.delete(app.embeddedDatabase) })
  await app.ready()
  // A test that sets a pressure limit starts once start-up's own delay has left the samples.
  await eventually(() => !app.isUnderPressure(), 30_000)
  // Traffic reaches an instance once its readiness says so (the load balancer's health check),
  // and so do tests on the run's own servers: before that, a Redis connection still being opened
  // answers 503 at once (no offline queue), the service's promise but not what they test.
  if (!env.DATABASE_URL && !env.REDIS_URL) await until200(app, '/health', 30_000)
  if (app.embeddedDatabase) openEmbedded.add(app.embeddedDatabase)
  t.teardown(() => app.close())
  // Tests of one file share its database and key prefix: each starts from empty tables and keys.
  if (!env.DATABASE_URL && !env.EMBEDDED_DATABASE_DIR) await query('TRUNCATE users, visits, visit_totals RESTART IDENTITY')
  if (backend === 'servers' && !env.REDIS_URL) await clearKeys()
  return app
}

const openEmbedded = new Set<{ host: string, port: number }>()

async function clearKeys (): Promise<void> {
  const redis = new Redis(testServers().redisUrl)
  try {
    const keys = await redis.keys(`${keyPrefix}*`)
    if (keys.length) await redis.del(...keys)
  } finally {
    await redis.quit()
  }
}

/**
 * Reads what the service wrote in this file's database: through a pg client of its own, or,
 * on the embedded back end, through the running app's socket (or the data directory itself
 * once the app has closed).
 */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>> (text: string, values: unknown[] = []): Promise<T[]> {
  if (backend === 'embedded' && openEmbedded.size === 0) {
    const db = await PGlite.create(embeddedDatabaseDir())
    try {
      return (await db.query<T>(text, values)).rows
    } finally {
      await db.close()
    }
  }
  const [running] = openEmbedded
  const url = backend === 'embedded' ? `postgres://postgres@${running.host}:${running.port}/postgres` : await testDatabaseUrl()
  return sql<T>(url, text, values)
}

/**
 * Calls `check` every 50 ms until it holds or `ms` pass: for what happens after an answer
 * (a log line written, a visit flushed). Returns whether it held; bounds are wide on purpose.
 */
export async function eventually (check: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}

/** Injects `url` every 100 ms until it answers 200 or `ms` pass; returns the last answer. */
export async function until200 (app: FastifyInstance, url: string, ms = 5_000) {
  const deadline = Date.now() + ms
  let res = await app.inject({ method: 'GET', url })
  while (res.statusCode !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    res = await app.inject({ method: 'GET', url })
  }
  return res
}

/**
 * The production entry (telemetry/preload.ts, then server.ts) in a process of its own, on a free loopback port unless
 * `env` names one; resolves once it logs that it listens (url), exits, or 30 s pass.
 */
export async function startServer (env: Record<string, string>) {
  // As the image runs it: telemetry first (it loads nothing unless an OTEL_* variable asks).
  const root = join(import.meta.dirname, '..')
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(root, 'telemetry', 'preload.ts')).href, join(root, 'server.ts')], {
    // The pressure guard off, as in testConfig(): a loaded machine must not turn a test's
    // traffic into under-pressure 503s (pressure.test.ts tests the guard).
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.on('data', (chunk) => { output += chunk })
  const deadline = Date.now() + 30_000
  let url: string | undefined
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = /"msg":"Server listening at (http:\/\/127\.\d+\.\d+\.\d+:\d+)"/.exec(output)?.[1]
    await sleep(50)
  }
  return { child, url, output: () => output }
}

/**
 * Why a server answered 503, from its log: each "dependency unavailable" or "service unavailable"
 * line's error (code and message), counted. What a failing test prints, so a 503 in CI says
 * which dependency, and how, without a rerun.
 */
export function unavailableReasons (output: string): Record<string, number> {
  const reasons: Record<string, number> = {}
  for (const line of output.split('\n')) {
    if (!line.includes('unavailable"') && !line.includes('answered 503"')) continue
    try {
      const { msg, err, pressure } = JSON.parse(line) as { msg?: string, err?: { code?: string, message?: string }, pressure?: string }
      if (msg !== 'dependency unavailable' && msg !== 'service unavailable' && msg !== 'overloaded: answered 503') continue
      const reason = pressure ? `pressure: ${pressure}` : `${err?.code ?? ''} ${err?.message ?? ''}`.trim().slice(0, 200)
      reasons[reason] = (reasons[reason] ?? 0) + 1
    } catch {}
  }
  return reasons
}

/** The exit code of `child`, once it has exited (at once if it has already). */
export async function exitCode (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const [code] = await once(child, 'exit') as [number | null]
  return code
}

/**
 * startServer() for test `t`: killed when `t` ends, and (unless `healthy: false`) resolved once
 * /health answers 200. Fails `t` with the server's output when it does not listen.
 */
export async function serve (t: Test & Pick<typeof tap, 'ok' | 'comment'>, env: Record<string, string>, { healthy = true } = {}) {
  const server = await startServer(env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  if (!t.ok(server.url, 'listening')) t.comment(server.output())
  const base = server.url as string
  if (healthy) while ((await fetch(`${base}/health`)).status !== 200) await sleep(100)
  return { ...server, base }
}
