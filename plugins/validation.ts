import fp from 'fastify-plugin'
import { Ajv, type Options } from 'ajv'
import type { FastifyInstance } from 'fastify'

// Fastify's own defaults (@fastify/ajv-compiler), except where noted.
const common: Options = { useDefaults: true, removeAdditional: true, allErrors: false, strict: false }

/**
 * Request parsing and validation. A JSON body is taken as sent: `{"username": 42}` is a 400, not the
 * string "42" (Fastify's default coerces types everywhere). Query strings, params and headers
 * arrive as text, so there types are coerced ("limit=7" is the integer 7).
 */
export default fp(async function validation (fastify: FastifyInstance) {
  const body = new Ajv({ ...common, coerceTypes: false })
  const text = new Ajv({ ...common, coerceTypes: 'array' })
  // The API reads JSON only: any other body type is a 415 (Fastify also parses text/plain).
  fastify.removeContentTypeParser('text/plain')
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? body : text).compile(schema)
  )
}, { name: 'validation' })
