import fp from 'fastify-plugin'
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs'
import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { acceptQueueDrained, acceptQueueOfLine } from '../../lib/accept-queue.ts'

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
    acceptQueued(server, drainMs).then(({ taken, ms, quiet, queued, since }) => {
      fastify.log.info({ taken, ms, quiet, queued, since }, quiet ? 'closing the listener: the connections queued for it as the close began are taken' : 'closing the listener: still taking connections after SHUTDOWN_DRAIN_MS')
      done()
    })
  })
}, { name: 'shutdown', dependencies: ['config'] })

/**
 * Resolves once the connections the kernel had queued for the listener when the close began (its
 * accept queue, read from /proc on Linux: `queued`) are taken, so closing the listener resets
 * nobody who was already connected when the signal came. Node takes one queued connection per
 * event-loop turn, so it waits turn by turn, and closes at once when the queue is empty. Clients
 * that connect again meanwhile (every answer now says `Connection: close`) are not waited for:
 * they could keep the queue full until `limitMs`, and each of them is then reset; closing sooner
 * refuses them instead. Where the queue cannot be read, a turn whose poll took no new connection
 * stands for an empty queue; that misses connections queued while the turn ran its callbacks.
 * The connections `taken` meanwhile are served like any other. `ms`: how long it waited; `since`:
 * when the kernel's queue was first read (epoch ms), the line between the connections it promises
 * to take (made before) and those it may refuse or leave to be reset (made after). `queued` is
 * the queue at the last read, a moment before the close: clients can still connect in between.
 */
function acceptQueued (server: Server, limitMs: number): Promise<{ taken: number, ms: number, quiet: boolean, queued: number | null, since: number }> {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = listenerSocket(server)
    let taken = 0
    const onConnection = () => { taken++ }
    server.on('connection', onConnection)
    // What the kernel held at the first turn, and `taken` at the previous turn (the first turn
    // can come before any poll since the signal: without the kernel's count, never quiet).
    let initial: number | undefined
    let since: number | undefined
    let before = -1
    const turn = () => {
      const now = performance.now()
      const ms = now - started
      since ??= Math.round((performance.timeOrigin + now) * 1000) / 1000
      const queued = socket === undefined ? null : acceptQueueLength(socket)
      if (queued !== null) initial ??= queued
      const quiet = acceptQueueDrained(queued, initial, taken, before)
      if (!quiet && ms < limitMs) {
        before = taken
        setImmediate(turn)
        return
      }
      server.off('connection', onConnection)
      resolve({ taken, ms: Math.round(ms), quiet, queued, since })
    }
    setImmediate(turn)
  })
}

/** A listening TCP socket as /proc lists it: its table (by address family) and inode. */
interface ListenerSocket { table: '/proc/net/tcp' | '/proc/net/tcp6', inode: string }

/** The listening socket's entry in /proc (Linux: its inode from /proc/self/fd), or undefined where it cannot be read. */
function listenerSocket (server: Server): ListenerSocket | undefined {
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd
  const address = server.address()
  if (typeof fd !== 'number' || fd < 0 || address === null || typeof address === 'string') return undefined
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]
    return inode === undefined ? undefined : { table: address.family === 'IPv6' ? '/proc/net/tcp6' : '/proc/net/tcp', inode }
  } catch {
    return undefined
  }
}

/**
 * How many connections the kernel has queued for the listening socket: for a listener,
 * /proc/net/tcp's rx_queue column is its accept queue. Null when it cannot be read. The kernel
 * lists listening sockets first, then every connection (TIME_WAIT included): read up to the
 * listener's line only. The whole table of a busy host (12,000 lines here after a load test) took
 * 25 ms to read and split, and its count was that stale when the listener closed.
 */
function acceptQueueLength ({ table, inode }: ListenerSocket): number | null {
  let fd: number
  try {
    fd = openSync(table, 'r')
  } catch {
    return null
  }
  try {
    const chunk = Buffer.allocUnsafe(16_384)
    let partial = ''
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) {
      const lines = (partial + chunk.toString('latin1', 0, read)).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        const queued = acceptQueueOfLine(line, inode)
        if (queued !== undefined) return queued
      }
    }
    return null
  } catch {
    return null
  } finally {
    closeSync(fd)
  }
}
