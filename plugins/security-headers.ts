import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

/**
 * helmet's headers on every answer, errors and 404s included. The policy is for a JSON API:
 * nothing may be loaded or framed. /docs sets its own CSP for the Swagger UI page.
 */
export default fp(async function securityHeaders (fastify: FastifyInstance) {
  await fastify.register(helmet, {
    global: true,
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
  })
}, { name: 'security-headers' })
