import fp from 'fastify-plugin'
import { metrics, trace } from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import { telemetrySignals } from '../../config/telemetry.ts'
import { requestDurations } from '../../telemetry/request-durations.ts'

// The longest a shutdown waits for the last spans and metrics to reach the collector: a collector
// that is down must not hold the task past ECS's stopTimeout.
const FLUSH_TIMEOUT_MS = 2_000

interface Flushable { forceFlush?: () => Promise<void>, getDelegate?: () => Flushable }

/**
 * The service's own metrics, beside the instrumentations' (telemetry/sdk.ts): the request duration
 * by method, route template and status (`http.server.request.duration`, stable semantic
 * conventions), the pool's connections, the visit buffer, the dependencies' readiness and the
 * process's memory. Without a metrics exporter the hook is not added and the API's meter is a
 * no-op: nothing is measured. On close, what is still buffered is flushed, within
 * FLUSH_TIMEOUT_MS.
 */
export default fp(async function telemetry (fastify: FastifyInstance) {
  const meter = metrics.getMeter(fastify.config.SERVICE_NAME)

  if (telemetrySignals(fastify.config).metrics) {
    // A route template, never the URL: a thousand user ids are one series. No route (404): none.
    // Kept in-process and read by the SDK's readers (telemetry/request-durations.ts).
    fastify.addHook('onResponse', (request, reply, done) => {
      requestDurations.record(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000)
      done()
    })
  }
  const pool = { 'db.client.connection.pool.name': 'requests' }

  const connections = meter.createObservableUpDownCounter('db.client.connection.count', { description: 'Connections of the request pool by state', unit: '{connection}' })
  const pending = meter.createObservableUpDownCounter('db.client.connection.pending_requests', { description: 'Requests waiting for a pooled connection', unit: '{request}' })
  const max = meter.createObservableUpDownCounter('db.client.connection.max', { description: 'Largest size of the request pool', unit: '{connection}' })
  const buffered = meter.createObservableGauge('visits.buffer.pending', { description: 'Visits buffered or being written', unit: '{visit}' })
  const dropped = meter.createObservableCounter('visits.dropped', { description: 'Visits not written, by reason: buffer_full (the database was away too long) or rejected (the database refused the row)', unit: '{visit}' })
  const writeAge = meter.createObservableGauge('visits.write.age', { description: 'Seconds since visits were last written (absent before the first write)', unit: 's' })
  const oldestPending = meter.createObservableGauge('visits.pending.age', { description: 'Seconds the oldest visit not yet written has waited', unit: 's' })
  const ready = meter.createObservableGauge('service.dependency.ready', { description: '1 when the last readiness check reached the dependency, else 0 (migrating counts as 0)' })
  const memory = meter.createObservableGauge('process.memory.usage', { description: 'Resident set size of the process', unit: 'By' })

  meter.addBatchObservableCallback((result) => {
    const { totalCount, idleCount, waitingCount } = fastify.pg.pool
    result.observe(connections, totalCount - idleCount, { ...pool, 'db.client.connection.state': 'used' })
    result.observe(connections, idleCount, { ...pool, 'db.client.connection.state': 'idle' })
    result.observe(pending, waitingCount, pool)
    result.observe(max, fastify.config.DB_POOL_MAX, pool)
    result.observe(buffered, fastify.visits.pending)
    for (const [reason, count] of Object.entries(fastify.visits.droppedBy)) result.observe(dropped, count, { reason })
    const age = fastify.visits.lastWriteAgeSeconds
    if (age !== null) result.observe(writeAge, age)
    result.observe(oldestPending, fastify.visits.oldestPendingSeconds)
    const { database, redis } = fastify.health.checks
    result.observe(ready, database === 'connected' ? 1 : 0, { dependency: 'database' })
    result.observe(ready, redis === 'disconnected' ? 0 : 1, { dependency: 'redis' })
    result.observe(memory, process.memoryUsage.rss())
  }, [connections, pending, max, buffered, dropped, writeAge, oldestPending, ready, memory])

  fastify.addHook('onClose', async () => {
    const providers = [trace.getTracerProvider() as Flushable, metrics.getMeterProvider() as Flushable]
    const flushes = providers.map((p) => (p.getDelegate?.() ?? p).forceFlush?.().catch(() => {}))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(flushes), new Promise((resolve) => { timer = setTimeout(resolve, FLUSH_TIMEOUT_MS) })])
    clearTimeout(timer)
  })
}, { name: 'metrics', dependencies: ['config', 'database', 'visits', 'health'] })
