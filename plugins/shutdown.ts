import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    shutdown: {
      readonly draining: boolean
      /** Serves on for SHUTDOWN_DRAIN_MS, closing each keep-alive connection after its next answer. */
      drain (): Promise<void>
    }
  }
}

/**
 * The first step of a graceful stop (server.ts), before `close()`. Closing at once would
 * destroy the idle keep-alive connections, and a client that sent a request on one at that
 * moment would see a reset. Draining first answers every request normally but with
 * `Connection: close`, so clients leave their connections by themselves; when `close()` comes,
 * new connections are refused and the ones left carry requests that complete.
 */
export default fp(async function shutdown (fastify: FastifyInstance) {
  let draining = false

  fastify.addHook('onRequest', (_request, reply, done) => {
    if (draining) reply.header('connection', 'close')
    done()
  })

  fastify.decorate('shutdown', {
    get draining () { return draining },
    async drain () {
      draining = true
      await sleep(fastify.config.SHUTDOWN_DRAIN_MS)
    }
  })
}, { name: 'shutdown', dependencies: ['config'] })
