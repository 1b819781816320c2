import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { packageInfo } from '../../lib/package-info.ts'

/** package.json's licence as OpenAPI wants it: a name and where its text is. */
function licenseOf (id = 'UNLICENSED') {
  return id === 'UNLICENSED'
    ? { name: 'UNLICENSED (proprietary: no licence is granted)', url: 'https://docs.npmjs.com/cli/v11/configuring-npm/package-json#license' }
    : { name: id, url: `https://spdx.org/licenses/${encodeURIComponent(id)}.html` }
}

/** OpenAPI document generated from the routes' TypeBox schemas: /docs (UI) and /docs/json. */
export default fp(async function docs (fastify: FastifyInstance) {
  if (!fastify.config.DOCS) return

  await fastify.register(swagger, {
    openapi: {
      info: {
        title: fastify.config.SERVICE_NAME,
        version: packageInfo.version,
        description: 'Visit tracking, cache counter and users API',
        license: licenseOf(packageInfo.license)
      },
      // Relative: the document describes whatever host and scheme serve it (nginx, the ALB).
      servers: [{ url: '/', description: 'This service' }],
      // No operation takes credentials: said explicitly rather than left out.
      security: []
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) }
  })

  fastify.addHook('onRoute', (route) => {
    // The documentation is not part of the API: its requests are not counted as visits.
    if (route.url.startsWith('/docs')) route.config = { ...route.config, visits: false }
  })

  await fastify.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
}, { name: 'docs', dependencies: ['config', 'shared-schemas'] })
