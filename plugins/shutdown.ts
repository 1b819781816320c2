import fp from 'fastify-plugin'
import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'

/**
 * A graceful close() (SIGTERM in server.ts, and every other close). Fastify's close stops the
 * listener, so new connections are refused (a client can retry that elsewhere), and waits for the
 * open connections to end before the pools close. This plugin makes that safe for requests
 * already on their way:
 * - every answer from then on says `Connection: close`, so each open connection is answered
 *   and then left by its client instead of being reused while it closes;
 * - requests on open connections are served as usual (serverOptions: return503OnClosing false);
 * - connections the kernel has accepted but the process has not yet taken (its accept queue) are
 *   taken before the listener closes: closing a listening socket resets every connection still
 *   queued, and a process that got no CPU for a moment when the signal came (a loaded host, a GC
 *   pause) has a connection queued for nearly every client. See acceptQueued();
 * - Node's close() destroys "idle" connections at once: ones kept alive between requests, but
 *   also ones accepted a moment ago whose request has not been read yet, a reset for a client
 *   that already sent it. That is deferred by SHUTDOWN_DRAIN_MS, so both get their answer.
 */
export default fp(async function shutdown (fastify: FastifyInstance) {
  fastify.addHook('preClose', (done) => {
    const { server } = fastify
    const drainMs = fastify.config.SHUTDOWN_DRAIN_MS
    // Before Fastify's own listener, so the header is there before any answer is written.
    server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'))
    const closeIdle = server.closeIdleConnections.bind(server)
    server.closeIdleConnections = () => { setTimeout(closeIdle, drainMs).unref() }
    if (!server.listening) return done()
    acceptQueued(server, drainMs).then(({ taken, ms, quiet }) => {
      fastify.log.info({ taken, ms, quiet }, quiet ? 'closing the listener: its accept queue is empty' : 'closing the listener: still taking connections after SHUTDOWN_DRAIN_MS')
      done()
    })
  })
}, { name: 'shutdown', dependencies: ['config'] })

/**
 * Resolves after an event-loop turn whose poll took no new connection (`quiet`): the accept queue
 * was empty then (Node takes one queued connection per turn), so closing the listener resets
 * nobody who was already connected. Under a flood that never leaves a turn quiet it resolves
 * after `limitMs`; the connections `taken` meanwhile are served like any other, with
 * `Connection: close`. `ms`: how long it waited.
 */
function acceptQueued (server: Server, limitMs: number): Promise<{ taken: number, ms: number, quiet: boolean }> {
  return new Promise((resolve) => {
    const started = performance.now()
    let taken = 0
    const onConnection = () => { taken++ }
    server.on('connection', onConnection)
    // `taken` at the previous turn. The first turn can come before any poll since the signal:
    // it never counts as quiet.
    let before = -1
    const turn = () => {
      const ms = performance.now() - started
      if (taken !== before && ms < limitMs) {
        before = taken
        setImmediate(turn)
        return
      }
      server.off('connection', onConnection)
      resolve({ taken, ms: Math.round(ms), quiet: taken === before })
    }
    setImmediate(turn)
  })
}
