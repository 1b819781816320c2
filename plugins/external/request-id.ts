import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/**
 * Returns the request id (nginx's X-Request-Id when it sent one, else generated: see app.ts)
 * on every answer, so a client's report can be found in the logs.
 */
export default fp(async function requestId (fastify: FastifyInstance) {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
}, { name: 'request-id' })
