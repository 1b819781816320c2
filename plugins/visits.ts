import { setTimeout } from 'node:timers/promises'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { VisitTotals } from '../schemas/visits.ts'

declare module 'fastify' {
  interface FastifyInstance {
    visits: Visits
  }
  interface FastifyContextConfig {
    /** false: requests to this route are not recorded as visits (health probes, docs). */
    visits?: boolean
  }
}

export interface Visits {
  /** Totals written so far, all instances together; costs the same at any table size. */
  totals (): Promise<VisitTotals>
  /** Writes everything buffered now; resolves when written or when a write failed. */
  flush (): Promise<void>
  readonly pending: number
  readonly dropped: number
}

interface Visit { at: number, method: string, route: string, status: number, ip: string }

export const VISIT_TOTALS = 'SELECT method, route, total FROM visit_totals ORDER BY total DESC, route, method'

// One statement a batch: the rows and the running totals are written atomically. Totals are
// upserted in a fixed (method, route) order so two instances flushing at once cannot deadlock.
export const INSERT_BATCH = `
WITH batch AS (
  SELECT to_timestamp(at / 1000.0) AS visited_at, method, route, status_code, client_ip
  FROM unnest($1::float8[], $2::text[], $3::text[], $4::smallint[], $5::text[])
    AS b(at, method, route, status_code, client_ip)
), inserted AS (
  INSERT INTO visits (visited_at, method, route, status_code, client_ip)
  SELECT visited_at, method, route, status_code, client_ip FROM batch
)
INSERT INTO visit_totals AS t (method, route, total)
SELECT method, route, count(*) FROM batch GROUP BY method, route ORDER BY method, route
ON CONFLICT (route, method) DO UPDATE SET total = t.total + EXCLUDED.total`

/**
 * Visit tracking: every response of a tracked route is buffered in memory and written in
 * batches, off the request path. The buffer is bounded (VISITS_BUFFER_MAX); while the database
 * is down visits wait there, and what does not fit is dropped and counted. On close the buffer
 * is written before the pool closes.
 */
export default fp(async function visits (fastify: FastifyInstance) {
  const { pg, config, log } = fastify
  let buffer: Visit[] = []
  let inFlight = 0
  let dropped = 0
  let flushing: Promise<void> | undefined
  let failing = false

  function record (visit: Visit): void {
    if (buffer.length + inFlight >= config.VISITS_BUFFER_MAX) {
      dropped++
      // One line at the first drop and every 1000 after: counted, not flooded.
      if (dropped % 1000 === 1) log.error({ dropped, bufferMax: config.VISITS_BUFFER_MAX }, 'visit buffer full: dropping visits')
      return
    }
    buffer.push(visit)
    if (buffer.length >= config.VISITS_BATCH_SIZE && !flushing) flush().catch(() => {})
  }

  async function write (): Promise<void> {
    const batch = buffer.length > config.VISITS_BATCH_SIZE ? buffer.splice(0, config.VISITS_BATCH_SIZE) : buffer
    if (batch === buffer) buffer = []
    inFlight = batch.length
    try {
      await pg.query({
        name: 'visits-insert-batch',
        text: INSERT_BATCH,
        values: [
          batch.map((v) => v.at),
          batch.map((v) => v.method),
          batch.map((v) => v.route),
          batch.map((v) => v.status),
          batch.map((v) => v.ip)
        ]
      })
      if (failing) log.info({ pending: buffer.length }, 'visits are being written again')
      failing = false
    } catch (err) {
      // Back to the front, in order: retried on the next tick, nothing lost while it fits.
      buffer = batch.concat(buffer)
      if (!failing) log.warn({ err, pending: buffer.length }, 'visits could not be written; keeping them buffered')
      failing = true
    } finally {
      inFlight = 0
    }
  }

  function flush (): Promise<void> {
    if (flushing) return flushing
    if (buffer.length === 0) return Promise.resolve()
    flushing = write().finally(() => { flushing = undefined })
    return flushing
  }

  /** Everything buffered now, written; stops early when the database refuses. */
  async function drain (): Promise<void> {
    while (buffer.length > 0 || flushing) {
      await flush()
      if (failing) return
    }
  }

  const timer = setInterval(flush, config.VISITS_FLUSH_INTERVAL_MS)
  timer.unref()

  fastify.addHook('onResponse', (request, reply, done) => {
    const { url, config: routeConfig } = request.routeOptions
    // Only the API's own routes: not health probes or docs, not unknown paths.
    if (url !== undefined && routeConfig.visits !== false) {
      record({ at: Date.now(), method: request.method, route: url, status: reply.statusCode, ip: request.ip })
    }
    done()
  })

  fastify.decorate('visits', {
    async totals () {
      const { rows } = await pg.query<{ method: string, route: string, total: string }>({
        name: 'visits-totals',
        text: VISIT_TOTALS
      })
      const endpoints = rows.map((row) => ({ method: row.method, route: row.route, visits: Number(row.total) }))
      return { total_visits: endpoints.reduce((sum, e) => sum + e.visits, 0), endpoints }
    },
    flush: drain,
    get pending () { return buffer.length + inFlight },
    get dropped () { return dropped }
  } satisfies Visits)

  // Runs after the server has stopped accepting and in-flight requests have finished, and
  // before the pool closes (@fastify/postgres registered its onClose earlier).
  fastify.addHook('onClose', async () => {
    clearInterval(timer)
    const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS / 2
    await drain()
    // drain() leaves visits behind only when the database refused them: retry until the deadline.
    while (buffer.length > 0 && Date.now() < deadline) {
      await setTimeout(250)
      await drain()
    }
    if (buffer.length > 0) log.error({ lost: buffer.length }, 'visits could not be written before shutdown')
  })
}, { name: 'visits', dependencies: ['database'] })
