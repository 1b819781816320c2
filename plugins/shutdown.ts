import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/**
 * A graceful close() (SIGTERM in server.ts, and every other close). Fastify's close stops the
 * listener at once, so new connections are refused (a client can retry that elsewhere), and
 * waits for the open connections to end before the pools close. This plugin makes that wait
 * safe for requests already on their way:
 * - every answer from then on says `Connection: close`, so each open connection is answered
 *   and then left by its client instead of being reused while it closes;
 * - requests on open connections are served as usual (serverOptions: return503OnClosing false);
 * - Node's close() destroys "idle" connections at once: ones kept alive between requests, but
 *   also ones accepted a moment ago whose request has not been read yet, a reset for a client
 *   that already sent it. That is deferred by SHUTDOWN_DRAIN_MS, so both get their answer.
 */
export default fp(async function shutdown (fastify: FastifyInstance) {
  fastify.addHook('preClose', (done) => {
    const { server } = fastify
    // Before Fastify's own listener, so the header is there before any answer is written.
    server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'))
    const closeIdle = server.closeIdleConnections.bind(server)
    server.closeIdleConnections = () => { setTimeout(closeIdle, fastify.config.SHUTDOWN_DRAIN_MS).unref() }
    done()
  })
}, { name: 'shutdown', dependencies: ['config'] })
