import fp from 'fastify-plugin'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { migrate } from '../../lib/migrate.ts'
import { connectionOptions, endQuietly } from '../../lib/database-options.ts'
import { BackgroundLoop } from '../../lib/background-loop.ts'

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

  let delay = RETRY_MIN_MS
  let client: pg.Client | undefined

  // One attempt; on failure, the next after a delay that doubles up to RETRY_MAX_MS.
  async function attempt (): Promise<number | null> {
    client = new pg.Client({ ...connectionOptions(config, fastify.embeddedDatabase), application_name: `${config.SERVICE_NAME} migrations` })
    // A server that drops the connection mid-migration emits 'error' on the client: heard
    // here, the pending query rejects and the attempt is retried, instead of a crash.
    client.on('error', (err) => log.warn({ err }, 'migration connection lost'))
    try {
      await client.connect()
      const applied = await migrate(client, { timeoutMs: config.DB_MIGRATION_TIMEOUT_MS })
      state.ready = true
      log.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date')
      return null
    } catch (err) {
      const retryInMs = delay
      delay = Math.min(delay * 2, RETRY_MAX_MS)
      log.warn({ err, retryInMs }, 'migrations could not run yet')
      return retryInMs
    } finally {
      await endQuietly(client)
    }
  }
  // The retry timer keeps the process alive: a service started before its database waits for it.
  const loop = new BackgroundLoop(attempt, { unref: false })

  fastify.addHook('onClose', async () => {
    const stopped = loop.stop()
    // A migration still running (or waiting for another instance's lock) is rolled back.
    if (client) await endQuietly(client)
    await stopped
  })

  const first = loop.run()
  let timeout: NodeJS.Timeout | undefined
  await Promise.race([first, new Promise((resolve) => { timeout = setTimeout(resolve, START_WAIT_MS) })])
  clearTimeout(timeout)
  if (!state.ready) log.info('migrations not applied yet: serving, /health reports migrating until they are')
}, { name: 'migrations', dependencies: ['database'] })
