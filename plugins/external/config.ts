import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config/schema.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

/** The configuration read and validated once at start-up (config/schema.ts), for every plugin. */
export default fp(async function config (fastify: FastifyInstance, opts: { config: Config }) {
  fastify.decorate('config', opts.config)
}, { name: 'config' })
