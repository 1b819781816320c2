import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    shutdown: {
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
 * new connections are refused and the ones left carry requests that complete. The header is
 * set by a listener added only when draining starts, so serving costs nothing until then.
 */
export default fp(async function shutdown (fastify: FastifyInstance) {
  fastify.decorate('shutdown', {
    async drain () {
      // Before Fastify's own listener, so the header is there before any answer is written.
      fastify.server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'))
      await sleep(fastify.config.SHUTDOWN_DRAIN_MS)
    }
  })
}, { name: 'shutdown', dependencies: ['config'] })
