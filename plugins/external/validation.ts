import fp from 'fastify-plugin'
import createError from '@fastify/error'
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import { errorCodes, type FastifyInstance } from 'fastify'
import { forbiddenKey } from '../../lib/json-body.ts'

// Fastify's own defaults (@fastify/ajv-compiler), except where noted.
const common: Options = { useDefaults: true, removeAdditional: true, allErrors: false, strict: false }

const ForbiddenKey = createError('FORBIDDEN_KEY', 'Body contains %s, which is refused', 400)

// An integer in a path or query string is written in decimal digits, without a sign, spaces or
// leading zeros: Ajv's coercion is JavaScript's Number(), which also reads "0x10" as 16 and
// " 5", "1e0", "+1" and "1." as numbers. One spelling per value: /api/users/01 is not user 1.
const DECIMAL = /^(?:0|[1-9][0-9]*)$/

interface ObjectSchema { type?: unknown, properties?: Record<string, { type?: unknown }> }

/**
 * Ajv's validator for a path or query schema, first refusing an integer property written other
 * than in decimal digits; the error reads as Ajv's ("querystring/limit must be ...").
 */
function decimalIntegers (validate: ValidateFunction, schema: ObjectSchema) {
  const integers = Object.entries(schema.properties ?? {}).filter(([, property]) => property.type === 'integer').map(([name]) => name)
  if (integers.length === 0) return validate
  const check = (data: Record<string, unknown>): boolean => {
    for (const name of integers) {
      const values = ([] as unknown[]).concat(data[name] ?? [])
      if (values.some((value) => typeof value === 'string' && !DECIMAL.test(value))) {
        const error: ErrorObject = { instancePath: `/${name}`, schemaPath: `#/properties/${name}/type`, keyword: 'type', params: { type: 'integer' }, message: 'must be an integer in decimal digits, with no sign, space or leading zero' }
        check.errors = [error]
        return false
      }
    }
    const valid = validate(data) as boolean
    check.errors = validate.errors
    return valid
  }
  check.errors = null as ErrorObject[] | null | undefined
  return check
}

/**
 * Request parsing and validation. A JSON body is taken as sent: `{"username": 42}` is a 400, not the
 * string "42" (Fastify's default coerces types everywhere). Query strings, params and headers
 * arrive as text, so there types are coerced ("limit=7" is the integer 7), integers from decimal
 * digits only.
 */
export default fp(async function validation (fastify: FastifyInstance) {
  const body = new Ajv({ ...common, coerceTypes: false })
  const text = new Ajv({ ...common, coerceTypes: 'array' })
  // The API reads JSON only: any other body type is a 415 (Fastify also parses text/plain).
  fastify.removeContentTypeParser('text/plain')
  // Fastify's JSON parser refuses a __proto__ key, or constructor.prototype (prototype
  // poisoning), as "not valid JSON": it is valid JSON, refused for what it holds, and said so.
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text.length === 0) return done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), undefined)
    let value: unknown
    try {
      value = JSON.parse(text as string)
    } catch {
      return done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined)
    }
    const key = forbiddenKey(value)
    if (key) return done(new ForbiddenKey(key), undefined)
    done(null, value)
  })
  fastify.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') return body.compile(schema)
    const validate = text.compile(schema)
    return httpPart === 'params' || httpPart === 'querystring' ? decimalIntegers(validate, schema as ObjectSchema) : validate
  })
}, { name: 'validation' })
