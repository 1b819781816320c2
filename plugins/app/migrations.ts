import fp from 'fastify-plugin'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { migrate } from '../../lib/migrate.ts'
import { connectionOptions, endQuietly } from '../../lib/database-options.ts'

declare module 'fastify' {
  interface FastifyInstance {
    migrations: { readonly ready: boolean }
  }
}

const RETRY_MIN_MS = 500
const RETRY_MAX_MS = 10_000
// Start-up waits this long for the first attempt, so a fresh start on a reachable database
// serves `healthy` from its first request; a longer migration, or one waiting for another
// instance's lock, goes on in the background while the service listens and reports `migrating`.
const START_WAIT_MS = 10_000

/**
 * Applies the SQL migrations at start-up (DB_MIGRATE_ON_START, the default). When the database
 * is down, drops during a migration, or another instance holds the migration lock, the service
 * starts anyway, reports `migrating` on /health, and retries in the background until it succeeds.
 *
 * Each attempt uses a connection of its own, not one of the request pool: the pool's query
 * timeout would stop a long migration, and the session's settings and lock stay with it.
 */
export default fp(async function migrations (fastify: FastifyInstance) {
  const { config, log } = fastify
  const state = { ready: !config.DB_MIGRATE_ON_START }
  fastify.decorate('migrations', state)
  if (state.ready) return

  let timer: NodeJS.Timeout | undefined
  let closing = false
  let delay = RETRY_MIN_MS
  let running: Promise<void> | undefined
  let client: pg.Client | undefined

  async function attempt (): Promise<void> {
    client = new pg.Client({ ...connectionOptions(config, fastify.embeddedDatabase), application_name: `${config.SERVICE_NAME} migrations` })
    // A server that drops the connection mid-migration emits 'error' on the client: heard
    // here, the pending query rejects and the attempt is retried, instead of a crash.
    client.on('error', (err) => log.warn({ err }, 'migration connection lost'))
    try {
      await client.connect()
      const applied = await migrate(client, { timeoutMs: config.DB_MIGRATION_TIMEOUT_MS })
      state.ready = true
      log.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date')
    } catch (err) {
      log.warn({ err, retryInMs: delay }, 'migrations could not run yet')
      if (!closing) {
        timer = setTimeout(() => { running = attempt() }, delay)
        delay = Math.min(delay * 2, RETRY_MAX_MS)
      }
    } finally {
      await endQuietly(client)
    }
  }

  fastify.addHook('onClose', async () => {
    closing = true
    clearTimeout(timer)
    // A migration still running (or waiting for another instance's lock) is rolled back.
    if (client) await endQuietly(client)
    await running
  })

  running = attempt()
  let timeout: NodeJS.Timeout | undefined
  await Promise.race([running, new Promise((resolve) => { timeout = setTimeout(resolve, START_WAIT_MS) })])
  clearTimeout(timeout)
  if (!state.ready) log.info('migrations not applied yet: serving, /health reports migrating until they are')
}, { name: 'migrations', dependencies: ['database'] })
