import { setTimeout } from 'node:timers/promises'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { VisitTotals } from '../../schemas/visits.ts'
import { VisitBuffer, type DropReason } from '../../lib/visit-buffer.ts'
import { writeIsolating } from '../../lib/isolate-rows.ts'

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
  /** Visits not written since start: the buffer was full, or the database refused the row. */
  readonly dropped: number
  readonly droppedBy: Readonly<Record<DropReason, number>>
  /** Seconds since a batch was last written; null before the first write. */
  readonly lastWriteAgeSeconds: number | null
  /** Seconds the oldest pending visit has waited; 0 when none is pending. */
  readonly oldestPendingSeconds: number
}

interface Visit { at: number, method: string, route: string, status: number, ip: string | null }

export const VISIT_TOTALS = 'SELECT method, route, total FROM visit_totals ORDER BY total DESC, route, method'

// One statement a batch: the rows and the running totals are written atomically. Totals are
// upserted in a fixed (method, route) order so two instances flushing at once cannot deadlock.
export const INSERT_BATCH = `
WITH batch AS (
  SELECT to_timestamp(at / 1000.0) AS visited_at, method, route, status_code, client_ip
  FROM unnest($1::float8[], $2::text[], $3::text[], $4::smallint[], $5::inet[])
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
 * is down visits wait there, and what does not fit is dropped and counted. A batch the database
 * refuses for a data reason is split until the refused rows stand alone: they are dropped,
 * counted and logged, and the others are written (lib/isolate-rows.ts). On close the buffer
 * is written before the pool closes.
 */
export default fp(async function visits (fastify: FastifyInstance) {
  const { pg, config, log } = fastify
  const buffer = new VisitBuffer<Visit>(config.VISITS_BUFFER_MAX)
  let flushing: Promise<void> | undefined
  let failing = false
  // One line per reason (SQLSTATE) a row was refused for, not one per row.
  const refusedFor = new Set<string>()

  function record (visit: Visit): void {
    if (!buffer.push(visit)) {
      // One line at the first drop and every 1000 after: counted, not flooded.
      if (buffer.droppedBy.buffer_full % 1000 === 1) log.error({ dropped: buffer.droppedBy.buffer_full, bufferMax: config.VISITS_BUFFER_MAX }, 'visit buffer full: dropping visits')
      return
    }
    if (buffer.queued >= config.VISITS_BATCH_SIZE && !flushing) flush().catch(() => {})
  }

  async function insert (batch: Visit[]): Promise<void> {
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
  }

  async function write (): Promise<void> {
    const { rejected, unwritten, err } = await writeIsolating(buffer.take(config.VISITS_BATCH_SIZE), insert)
    buffer.settle(unwritten, rejected.length, Date.now())
    for (const { row, err } of rejected) {
      const code = String((err as { code?: string }).code)
      if (refusedFor.has(code)) continue
      refusedFor.add(code)
      log.error({ err, visit: row, dropped: buffer.droppedBy.rejected }, 'a visit was refused by the database and dropped; the others were written')
    }
    if (err === undefined) {
      if (failing) log.info({ pending: buffer.pending }, 'visits are being written again')
      failing = false
    } else {
      // Back to the front, in order: retried on the next tick, nothing lost while it fits.
      if (!failing) log.warn({ err, pending: buffer.pending }, 'visits could not be written; keeping them buffered')
      failing = true
    }
  }

  function flush (): Promise<void> {
    if (flushing) return flushing
    if (buffer.queued === 0) return Promise.resolve()
    flushing = write().finally(() => { flushing = undefined })
    return flushing
  }

  /** Everything buffered now, written; stops early when the database refuses. */
  async function drain (): Promise<void> {
    while (buffer.queued > 0 || flushing) {
      await flush()
      if (failing) return
    }
  }

  const timer = setInterval(flush, config.VISITS_FLUSH_INTERVAL_MS)
  timer.unref()

  fastify.addHook('onResponse', (request, reply, done) => {
    const { url, config: routeConfig } = request.routeOptions
    // Only the API's own routes: not health probes or docs, not unknown paths; HEAD changes nothing.
    if (url !== undefined && routeConfig.visits !== false && request.method !== 'HEAD') {
      record({ at: Date.now(), method: request.method, route: url, status: reply.statusCode, ip: request.clientAddress })
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
    get pending () { return buffer.pending },
    get dropped () { return buffer.dropped },
    get droppedBy () { return buffer.droppedBy },
    get lastWriteAgeSeconds () {
      const at = buffer.lastWriteAt
      return at === undefined ? null : (Date.now() - at) / 1000
    },
    get oldestPendingSeconds () {
      const at = buffer.oldestPendingAt
      return at === undefined ? 0 : Math.max(0, Date.now() - at) / 1000
    }
  } satisfies Visits)

  // Runs after the server has stopped accepting and in-flight requests have finished, and
  // before the pool closes (@fastify/postgres registered its onClose earlier).
  fastify.addHook('onClose', async () => {
    clearInterval(timer)
    const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS / 2
    await drain()
    // drain() leaves visits behind only when the database refused them: retry until the deadline.
    while (buffer.queued > 0 && Date.now() < deadline) {
      await setTimeout(250)
      await drain()
    }
    if (buffer.queued > 0) log.error({ lost: buffer.queued }, 'visits could not be written before shutdown')
  })
}, { name: 'visits', dependencies: ['database', 'client-address'] })
