import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CounterSchema } from '../../schemas/service.ts'
import { errorResponses } from '../../schemas/error.ts'

// The key and expiry of the Flask service's counter.
const COUNTER_KEY = 'cache_test_counter'
const COUNTER_TTL_SECONDS = 3600

const cacheTest: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/cache-test', {
    // A few short fields: under the 1 KiB compression threshold, where compressing gains nothing.
    compress: false,
    schema: {
      operationId: 'incrementCounter',
      summary: 'Increment the shared counter (expires an hour after the last increment)',
      tags: ['cache'],
      response: { 200: CounterSchema, ...errorResponses }
    }
  }, async (request) => {
    // HEAD (which Fastify answers with this GET's handler) changes nothing: the count as it is.
    if (request.method === 'HEAD') {
      return { message: 'Cache counter (HEAD: not incremented)', counter: Number(await fastify.cache.get(COUNTER_KEY) ?? 0), timestamp: new Date().toISOString() }
    }
    return {
      message: 'Cache counter incremented',
      counter: await fastify.cache.increment(COUNTER_KEY, COUNTER_TTL_SECONDS),
      timestamp: new Date().toISOString()
    }
  })
}

export default cacheTest
