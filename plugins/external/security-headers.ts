import fp from 'fastify-plugin'
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import { helmetHeaders, SECURITY_POLICY as POLICY } from '../../lib/security-policy.ts'

// The policy (lib/security-policy.ts) is for a JSON API: nothing may be loaded or framed. /docs
// sets its own CSP for the Swagger UI page.

/**
 * helmet's headers on every answer, errors and 404s included. They are the same for every
 * answer, so they are computed once, by helmet itself, and set by one synchronous hook:
 * @fastify/helmet's global mode builds helmet's middleware again on every request, which
 * halved the throughput of GET / (bench/README.md, "How to read it"). @fastify/helmet stays registered,
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
