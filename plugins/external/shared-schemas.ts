import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ErrorSchema } from '../../schemas/error.ts'
import { UserSchema } from '../../schemas/users.ts'

/** Schemas that routes reference by $id, added once so each appears once in the OpenAPI document. */
export default fp(async function sharedSchemas (fastify: FastifyInstance) {
  fastify.addSchema(ErrorSchema)
  fastify.addSchema(UserSchema)
}, { name: 'shared-schemas' })
