import fp from 'fastify-plugin'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import type { Checks, DependencyState } from '../../schemas/health.ts'
import { connectionOptions, endQuietly } from '../../lib/database-options.ts'
import { BackgroundLoop } from '../../lib/background-loop.ts'

declare module 'fastify' {
  interface FastifyInstance {
    health: {
      /** The dependencies' state as of the last background check: no I/O. */
      readonly checks: Checks
      /** Runs one round of checks now (tests, and the first round before serving). */
      refresh (): Promise<Checks>
    }
  }
}

// While a dependency is down its check repeats this often, so its return is seen promptly.
const RECHECK_WHILE_DOWN_MS = 250

/**
 * Readiness of the dependencies, checked in the background every HEALTH_CHECK_INTERVAL_MS:
 * PostgreSQL on a connection of its own (never one of the request pool, so a saturated pool
 * does not take a busy task out of the load balancer), Redis with a PING. /health answers from
 * the last result, so a flood of probes costs no round trip. Each check is bounded by
 * HEALTH_CHECK_TIMEOUT_MS: a lost dependency shows within interval + timeout, a returning one
 * within RECHECK_WHILE_DOWN_MS + the time to connect.
 */
export default fp(async function health (fastify: FastifyInstance) {
  const { config, log } = fastify
  const timeout = config.HEALTH_CHECK_TIMEOUT_MS
  let databaseUp = false
  let redis: DependencyState = 'disconnected'
  let client: pg.Client | undefined

  function dropClient (): void {
    if (client) endQuietly(client).catch(() => {})
    client = undefined
  }

  async function checkDatabase (): Promise<boolean> {
    try {
      if (!client) {
        client = new pg.Client({
          ...connectionOptions(config, fastify.embeddedDatabase),
          application_name: `${config.SERVICE_NAME} health`,
          connectionTimeoutMillis: timeout,
          query_timeout: timeout
        })
        // The server went away: the next round opens a new connection.
        client.on('error', dropClient)
        await client.connect()
      }
      await client.query('SELECT 1')
      return true
    } catch {
      dropClient()
      return false
    }
  }

  async function checkRedis (): Promise<DependencyState> {
    if (!await fastify.cache.ping()) return 'disconnected'
    return fastify.cache.backend === 'embedded' ? 'embedded' : 'connected'
  }

  async function check (): Promise<void> {
    const [db, cache] = await Promise.all([checkDatabase(), checkRedis()])
    if (db !== databaseUp || cache !== redis) log.info({ database: db ? 'connected' : 'disconnected', redis: cache }, 'dependency state changed')
    databaseUp = db
    redis = cache
  }

  // A round, then the next one: sooner while a dependency is down.
  const loop = new BackgroundLoop(async () => {
    await check()
    const healthy = databaseUp && redis !== 'disconnected'
    return healthy ? config.HEALTH_CHECK_INTERVAL_MS : Math.min(RECHECK_WHILE_DOWN_MS, config.HEALTH_CHECK_INTERVAL_MS)
  })

  function checks (): Checks {
    const database: DependencyState = !databaseUp ? 'disconnected' : fastify.migrations.ready ? 'connected' : 'migrating'
    return { database, redis }
  }

  fastify.decorate('health', {
    get checks () { return checks() },
    async refresh () {
      await loop.track(check())
      return checks()
    }
  })

  // The first round before the server listens, so the first probe already has an answer.
  fastify.addHook('onReady', async () => { await loop.run() })

  fastify.addHook('onClose', async () => {
    await loop.stop()
    dropClient()
  })
}, { name: 'health', dependencies: ['database', 'migrations', 'cache', 'embedded-database'] })
