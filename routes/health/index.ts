import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HealthSchema, LiveSchema, StartedSchema } from '../../schemas/health.ts'
import { ErrorRef, errorResponses } from '../../schemas/error.ts'
import { Type } from '@sinclair/typebox'

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  // Readiness of the dependencies, for operators and alarms: 503 while one is down (the load
  // balancer checks /health/started, so an outage does not replace every task). Not counted as a visit.
  fastify.get('/', {
    config: { visits: false },
    // The probes' answers: a few short fields, under the 1 KiB compression threshold.
    compress: false,
    schema: {
      operationId: 'getReadiness',
      summary: 'Readiness: the database and Redis answered the last background check',
      tags: ['health'],
      // 503: degraded (the health document), or refused before the check (the error shape).
      response: { 200: HealthSchema, 503: Type.Union([HealthSchema, ErrorRef]), ...errorResponses }
    }
  }, async (_request, reply) => {
    // The last background check's result (plugins/app/health.ts): no I/O on the probe's path.
    const { checks } = fastify.health
    const { visits } = fastify
    const healthy = Object.values(checks).every((state) => state === 'connected' || state === 'embedded')
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      service: fastify.config.SERVICE_NAME,
      timestamp: new Date().toISOString(),
      checks,
      visits: {
        pending: visits.pending,
        dropped: visits.dropped,
        refused: visits.droppedBy.rejected,
        last_write_age_seconds: visits.lastWriteAgeSeconds,
        oldest_pending_seconds: visits.oldestPendingSeconds
      }
    })
  })

  // Liveness, for the container health check: the process serves. No dependency is checked,
  // so a database outage does not get every task killed, and event-loop pressure does not either.
  fastify.get('/live', {
    config: { visits: false, pressureHandler: () => undefined },
    compress: false,
    schema: {
      operationId: 'getLiveness',
      summary: 'Liveness: the process serves',
      tags: ['health'],
      response: { 200: LiveSchema, ...errorResponses }
    }
  }, async () => ({ status: 'alive' as const, uptime_seconds: Math.round(process.uptime()) }))

  // The load balancer's check, through nginx: can this task serve? Start-up and migrations done,
  // and the app answering behind nginx. No shared dependency is checked: a database failover or
  // a Redis blip must show as 503s on the routes that need them and in /health, not make ECS
  // replace every task at once. Not refused under pressure either (a busy task is not broken).
  fastify.get('/started', {
    config: { visits: false, pressureHandler: () => undefined },
    compress: false,
    schema: {
      operationId: 'getStarted',
      summary: 'Start-up done: this task can take traffic (the load balancer\'s check)',
      tags: ['health'],
      response: { 200: StartedSchema, 503: Type.Union([StartedSchema, ErrorRef]), ...errorResponses }
    }
  }, async (_request, reply) => {
    const applied = fastify.migrations.ready
    return reply.code(applied ? 200 : 503).send({ status: applied ? 'serving' : 'starting', migrations: applied ? 'applied' : 'pending' })
  })
}

export default health
