import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { WelcomeSchema } from '../schemas/service.ts'
import { errorResponses } from '../schemas/error.ts'
import { packageInfo } from '../lib/package-info.ts'

const root: FastifyPluginAsyncTypebox = async (fastify) => {
  const { SERVICE_NAME } = fastify.config

  fastify.get('/', {
    // A few short fields: under the 1 KiB compression threshold, where compressing gains nothing.
    compress: false,
    schema: {
      operationId: 'getWelcome',
      summary: 'Welcome',
      tags: ['service'],
      response: { 200: WelcomeSchema, ...errorResponses }
    }
  }, async () => ({
    message: `Welcome to ${SERVICE_NAME}`,
    service: SERVICE_NAME,
    version: packageInfo.version,
    timestamp: new Date().toISOString()
  }))
}

export default root
