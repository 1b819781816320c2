import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Checks, DependencyState } from '../schemas/health.ts'

declare module 'fastify' {
  interface FastifyInstance {
    health: { check (): Promise<Checks> }
  }
}

/**
 * Readiness checks of the dependencies, run in parallel; each is bounded by its client's own
 * timeout (pool connection timeout, Redis command timeout), so /health answers promptly.
 */
export default fp(async function health (fastify: FastifyInstance) {
  async function database (): Promise<DependencyState> {
    try {
      await fastify.pg.query('SELECT 1')
    } catch {
      return 'disconnected'
    }
    return fastify.migrations.ready ? 'connected' : 'migrating'
  }

  async function redis (): Promise<DependencyState> {
    if (!await fastify.cache.ping()) return 'disconnected'
    return fastify.cache.backend === 'embedded' ? 'embedded' : 'connected'
  }

  fastify.decorate('health', {
    async check () {
      const [db, cache] = await Promise.all([database(), redis()])
      return { database: db, redis: cache }
    }
  })
}, { name: 'health', dependencies: ['database', 'migrations', 'cache'] })
