// The app under test: built through app.ts exactly as server.ts builds it, on this file's
// database and key prefix; and the waits its tests use.
import { appendFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import Fastify, { type FastifyInstance } from 'fastify'
import tap from 'tap'
import serviceApp, { loadConfig, serverOptions, type Config } from '../../app.ts'
import { NOT_RUN_FILE, serversMode, testServers } from '../setup/servers.ts'
import { backend, clearKeys, embeddedDatabaseDir, keyPrefix, openEmbedded, query, testDatabaseUrl } from './database.ts'

export type Test = Pick<typeof tap, 'teardown'>

/**
 * The `tap` of a test file whose tests need a real PostgreSQL and Redis (or the binaries to run
 * their own). When the run found none (test/setup/start-servers.ts), each of its tests is
 * skipped with the reason, and the file is named in the run's NOT RUN list.
 */
export function serverTests (): typeof tap {
  if (serversMode() !== 'none') return tap
  const file = relative(join(import.meta.dirname, '..', '..'), process.argv[1] ?? 'unknown')
  appendFileSync(NOT_RUN_FILE, `${file}\n`)
  const skip = 'needs a real PostgreSQL and Redis, and this run found none (test/setup/start-servers.ts)'
  return new Proxy(tap, {
    get (target, property) {
      if (property === 'test') return (name: string) => target.test(name, { skip }, () => {})
      if (property === 'teardown' || property === 'before') return () => {}
      return Reflect.get(target, property)
    }
  })
}

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
    await sleep(100)
    res = await app.inject({ method: 'GET', url })
  }
  return res
}
