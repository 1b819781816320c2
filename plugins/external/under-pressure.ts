import { performance } from 'node:perf_hooks'
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import type { ErrorBody } from '../../schemas/error.ts'
import { startupGrace } from '../../lib/startup-grace.ts'

// under-pressure's sampling period: a delay is seen within this long.
const SAMPLE_INTERVAL_MS = 250
const RETRY_AFTER_SECONDS = 5

/**
 * When the event loop lags past MAX_EVENT_LOOP_DELAY_MS, new requests get 503 with
 * Retry-After at once instead of queueing until the client or the ALB times out. The answer is
 * the service's error shape, sent here (not thrown): an expected answer, not an error to log
 * with a stack. The process's own start-up (compiling schemas, the embedded database's start)
 * is not load: the samples that cover it are ignored (lib/startup-grace.ts). 0 turns it off.
 */
export default fp(async function pressure (fastify: FastifyInstance) {
  let readyAt: number | undefined
  fastify.addHook('onReady', async () => { readyAt = performance.now() })
  const body: ErrorBody = { statusCode: 503, error: 'Service Unavailable', message: 'The service is overloaded; try again shortly' }
  await fastify.register(underPressure, {
    maxEventLoopDelay: fastify.config.MAX_EVENT_LOOP_DELAY_MS,
    sampleInterval: SAMPLE_INTERVAL_MS,
    retryAfter: RETRY_AFTER_SECONDS,
    pressureHandler (request, reply, type, value) {
      if (startupGrace(readyAt, performance.now(), SAMPLE_INTERVAL_MS)) return undefined
      request.log.warn({ pressure: type, value }, 'overloaded: answered 503')
      // Sent here, as under-pressure's README does: the request goes no further.
      reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(body)
    }
  })
}, { name: 'under-pressure', dependencies: ['config'] })
