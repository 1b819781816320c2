import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { migrate } from '../lib/migrate.ts'

declare module 'fastify' {
  interface FastifyInstance {
    migrations: { readonly ready: boolean }
  }
}

const RETRY_MIN_MS = 500
const RETRY_MAX_MS = 10_000

/**
 * Applies the SQL migrations at start-up (DB_MIGRATE_ON_START, the default). When the database
 * is down the service starts anyway, reports `migrating` on /health, and retries in the
 * background until it succeeds.
 */
export default fp(async function migrations (fastify: FastifyInstance) {
  const state = { ready: !fastify.config.DB_MIGRATE_ON_START }
  fastify.decorate('migrations', state)
  if (state.ready) return

  let timer: NodeJS.Timeout | undefined
  let closing = false
  let delay = RETRY_MIN_MS

  async function attempt (): Promise<void> {
    let client
    try {
      client = await fastify.pg.connect()
      const applied = await migrate(client)
      state.ready = true
      fastify.log.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date')
    } catch (err) {
      fastify.log.warn({ err, retryInMs: delay }, 'migrations could not run yet')
      if (!closing) {
        timer = setTimeout(attempt, delay)
        delay = Math.min(delay * 2, RETRY_MAX_MS)
      }
    } finally {
      // The session changed settings and held a lock: do not hand it back to the pool.
      client?.release(true)
    }
  }

  fastify.addHook('onClose', async () => {
    closing = true
    clearTimeout(timer)
  })

  await attempt()
}, { name: 'migrations', dependencies: ['database'] })
