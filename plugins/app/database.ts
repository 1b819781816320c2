import fp from 'fastify-plugin'
import fastifyPostgres from '@fastify/postgres'
import type { FastifyInstance } from 'fastify'
import { databaseTarget, poolOptions } from '../../lib/database-options.ts'
import { usesEmbeddedDatabase } from '../../config/load.ts'

/**
 * The PostgreSQL pool (@fastify/postgres, decorates `fastify.pg`), to the configured server or
 * to the embedded one (plugins/app/embedded-database.ts). The pool connects lazily,
 * so start-up does not wait for the database, and reconnects by itself when it comes back.
 */
export default fp(async function database (fastify: FastifyInstance) {
  await fastify.register(fastifyPostgres, poolOptions(fastify.config, fastify.embeddedDatabase))
  if (!usesEmbeddedDatabase(fastify.config)) fastify.log.info(databaseTarget(fastify.config), 'database: PostgreSQL, connecting in the background')

  // An idle client whose server went away emits 'error' on the pool; unheard, it would crash
  // the process. The pool drops that client and opens a new one on the next query.
  fastify.pg.pool.on('error', (err) => {
    fastify.log.warn({ err }, 'idle database connection lost')
  })
}, { name: 'database', dependencies: ['config', 'embedded-database'] })
