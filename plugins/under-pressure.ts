import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'

/**
 * When the event loop lags past MAX_EVENT_LOOP_DELAY_MS, new requests get 503 with
 * Retry-After at once instead of queueing until the client or the ALB times out.
 */
export default fp(async function pressure (fastify: FastifyInstance) {
  await fastify.register(underPressure, {
    maxEventLoopDelay: fastify.config.MAX_EVENT_LOOP_DELAY_MS,
    sampleInterval: 250,
    retryAfter: 5
  })
}, { name: 'under-pressure', dependencies: ['config'] })
