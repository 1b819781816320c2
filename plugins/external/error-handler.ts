import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import createError from '@fastify/error'
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errorBody as body, rawErrorAnswer } from '../../lib/error-answer.ts'
import { helmetHeaders, SECURITY_POLICY } from '../../lib/security-policy.ts'
import { dependencyUnavailable } from '../../lib/dependency-errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Answers an error Fastify meets before any route or hook runs (a malformed percent-encoding,
     * a path parameter over maxParamLength) as every other error: app.ts, `frameworkErrors`.
     */
    frameworkError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void
    /** Answers bytes that are not an HTTP request on `socket`: app.ts, `clientErrorHandler`. */
    clientError (err: ConnectionError, socket: Socket): void
  }
}

// Fastify's own messages echo the path (up to 8 KB of it) and its answers add a `code`.
const BadUrl = createError('BAD_URL', 'The URL path holds a malformed percent-encoding', 400)
const ParamTooLong = createError('PARAM_TOO_LONG', 'A parameter of the URL path is too long', 414)

// Node's parser errors (llhttp's HPE_ codes) and what each is answered with; any other is a 400.
const CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large']
}

/**
 * One error shape for the whole service. A 4xx says what was wrong with the request; a 5xx
 * says only what happened (never a database message, stack or path), and the full error is
 * logged with the request id.
 */
export default fp(async function errorHandler (fastify: FastifyInstance) {
  // helmet's headers, as plugins/external/security-headers.ts puts them on every routed answer, for the
  // answers given before its hook can run; these add the request id themselves.
  const securityHeaders = helmetHeaders(SECURITY_POLICY)

  function answer (err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      // Client errors: validation, bad JSON, unsupported type, too large, conflicts. Fastify's
      // own messages name the field (e.g. "body/username must NOT have fewer than 1 characters").
      request.log.info({ err: { code: err.code, message: err.message } }, 'request rejected')
      return reply.code(status).send(body(status, err.message))
    }
    if (status === 503) {
      // Raised on purpose (shutting down, a route's own 503): an expected answer, its message
      // meant for the client. One line, no stack.
      request.log.warn({ err: { code: err.code, message: err.message } }, 'service unavailable')
      return reply.code(503).send(body(503, err.message))
    }
    if (dependencyUnavailable(err)) {
      request.log.error({ err }, 'dependency unavailable')
      reply.header('retry-after', '1')
      return reply.code(503).send(body(503, 'A dependency of the service is unavailable; try again shortly'))
    }
    request.log.error({ err }, 'request failed')
    const code = status >= 500 && status < 600 ? status : 500
    return reply.code(code).send(body(code, 'Internal server error'))
  }

  fastify.setErrorHandler(answer)

  fastify.decorate('frameworkError', function (err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    reply.headers(securityHeaders).header('x-request-id', request.id)
    const known = err.code === 'FST_ERR_BAD_URL' ? new BadUrl() : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new ParamTooLong() : err
    answer(known, request, reply)
  })

  fastify.decorate('clientError', function (err: ConnectionError, socket: Socket) {
    // A reset connection has nobody to answer (Fastify's default handler does the same).
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const [status, message] = CLIENT_ERRORS[err.code] ?? [400, 'The request is not valid HTTP']
    const id = randomUUID()
    fastify.log.info({ reqId: id, err: { code: err.code, message: err.message } }, 'request rejected')
    if (socket.writable) socket.write(rawErrorAnswer(status, message, { ...securityHeaders, 'x-request-id': id }))
    socket.destroy(err)
  })

  fastify.setNotFoundHandler(function (request, reply) {
    return reply.code(404).send(body(404, `Route ${request.method}:${request.url.split('?')[0].slice(0, 200)} not found`))
  })
}, { name: 'error-handler' })
