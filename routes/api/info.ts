import { hostname } from 'node:os'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { InfoSchema } from '../../schemas/service.ts'
import { errorResponses } from '../../schemas/error.ts'
import { packageInfo } from '../../lib/package-info.ts'
import { databaseHost } from '../../lib/database-options.ts'
import { redisHost } from '../../lib/redis-options.ts'

const info: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  // Host names help outside production; in production they are internal detail (on Fargate
  // the hostname is the task's private IP), and a password or connection string is never
  // part of the answer in any environment.
  const showHosts = config.NODE_ENV !== 'production'
  const about = {
    service: config.SERVICE_NAME,
    version: packageInfo.version,
    environment: config.NODE_ENV,
    ...(showHosts ? { hostname: hostname() } : {}),
    node_version: process.version,
    pid: process.pid,
    database: { backend: fastify.embeddedDatabase ? 'embedded' : 'postgresql', ...(showHosts ? { host: databaseHost(config) } : {}) },
    redis: { backend: fastify.cache.backend, ...(showHosts ? { host: redisHost(config) } : {}) }
  }

  fastify.get('/info', {
    // A few short fields: under the 1 KiB compression threshold, where compressing gains nothing.
    compress: false,
    schema: {
      operationId: 'getInfo',
      summary: 'What is running, and where',
      tags: ['service'],
      response: { 200: InfoSchema, ...errorResponses }
    }
  }, async () => ({
    ...about,
    uptime_seconds: Math.round(process.uptime()),
    timestamp: new Date().toISOString()
  }))
}

export default info
