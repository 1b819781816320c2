import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../schemas/config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

/** The configuration read and validated once at start-up (schemas/config.ts), for every plugin. */
export default fp(async function config (fastify: FastifyInstance, opts: { config: Config }) {
  fastify.decorate('config', opts.config)
}, { name: 'config' })
