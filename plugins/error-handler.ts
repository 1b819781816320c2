import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance } from 'fastify'
import type { ErrorBody } from '../schemas/error.ts'

// PostgreSQL error classes that mean "the database cannot serve now", not "your request is
// wrong": connection exception, insufficient resources, operator intervention (admin shutdown,
// statement timeout), system error. https://www.postgresql.org/docs/current/errcodes-appendix.html
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58)/

// Node's network errors and the messages pg and ioredis use when a server is gone or slow.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries per request|Cannot use a pool after calling end/

function dependencyUnavailable (err: FastifyError & { code?: string }): boolean {
  if (typeof err.code === 'string' && (UNAVAILABLE_SQLSTATE.test(err.code) || UNAVAILABLE_CODES.has(err.code))) return true
  if (err.name === 'MaxRetriesPerRequestError') return true
  return UNAVAILABLE_MESSAGE.test(err.message)
}

function body (statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

/**
 * One error shape for the whole service. A 4xx says what was wrong with the request; a 5xx
 * says only what happened (never a database message, stack or path), and the full error is
 * logged with the request id.
 */
export default fp(async function errorHandler (fastify: FastifyInstance) {
  fastify.setErrorHandler(function (err: FastifyError, request, reply) {
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      // Client errors: validation, bad JSON, unsupported type, too large, conflicts. Fastify's
      // own messages name the field (e.g. "body/username must NOT have fewer than 1 characters").
      request.log.info({ err: { code: err.code, message: err.message } }, 'request rejected')
      return reply.code(status).send(body(status, err.message))
    }
    if (status === 503) {
      // Raised on purpose (under-pressure, shutting down): its message is meant for the client.
      request.log.warn({ err }, 'service unavailable')
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
  })

  fastify.setNotFoundHandler(function (request, reply) {
    return reply.code(404).send(body(404, `Route ${request.method}:${request.url.split('?')[0].slice(0, 200)} not found`))
  })
}, { name: 'error-handler' })
