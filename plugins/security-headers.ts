import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import helmet, { type HelmetOptions } from 'helmet'
import type { FastifyInstance } from 'fastify'

// The policy is for a JSON API: nothing may be loaded or framed. /docs sets its own CSP for
// the Swagger UI page.
const POLICY: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"]
    }
  },
  frameguard: { action: 'deny' },
  // TLS ends at the ALB; browsers still learn to use HTTPS only.
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true }
}

/** The headers helmet sets for `options`: run once on a response that only records them. */
function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string | number) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {})
  return headers
}

/**
 * helmet's headers on every answer, errors and 404s included. They are the same for every
 * answer, so they are computed once, by helmet itself, and set by one synchronous hook:
 * @fastify/helmet's global mode builds helmet's middleware again on every request, which
 * halved the throughput of GET / (README, "Performance"). @fastify/helmet stays registered,
 * not global, for `reply.helmet(options)` on a route that needs a policy of its own.
 */
export default fp(async function securityHeaders (fastify: FastifyInstance) {
  const headers = helmetHeaders(POLICY)
  // The same policy; the cast bridges helmet's ESM and CommonJS type declarations.
  await fastify.register(fastifyHelmet, { ...POLICY, global: false } as FastifyHelmetOptions)
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}, { name: 'security-headers' })
