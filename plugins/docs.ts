import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { packageInfo } from '../lib/package-info.ts'

/** OpenAPI document generated from the routes' TypeBox schemas: /docs (UI) and /docs/json. */
export default fp(async function docs (fastify: FastifyInstance) {
  if (!fastify.config.DOCS) return

  await fastify.register(swagger, {
    openapi: {
      info: { title: fastify.config.SERVICE_NAME, version: packageInfo.version, description: 'Visit tracking, cache counter and users API' }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) }
  })

  // The documentation is not part of the API: its requests are not counted as visits.
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...route.config, visits: false }
  })

  await fastify.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
}, { name: 'docs', dependencies: ['config', 'shared-schemas'] })
