import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StatsSchema } from '../../schemas/visits.ts'
import { errorResponses } from '../../schemas/error.ts'

const stats: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/stats', {
    schema: {
      operationId: 'getStats',
      summary: 'Visits recorded, in total and per endpoint',
      tags: ['visits'],
      response: { 200: StatsSchema, ...errorResponses }
    }
  }, async () => ({
    ...await fastify.visits.totals(),
    timestamp: new Date().toISOString(),
    pending_visits: fastify.visits.pending,
    dropped_visits: fastify.visits.dropped
  }))
}

export default stats
