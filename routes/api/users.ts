import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CreatedUserSchema, CreateUserSchema, ListUsersQuerySchema, UserListSchema, UserParamsSchema, UserSchema } from '../../schemas/users.ts'
import { ErrorRef, errorResponses } from '../../schemas/error.ts'
import { Type } from '@sinclair/typebox'

const users: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/users', {
    schema: {
      operationId: 'listUsers',
      summary: 'Users, newest first, a page at a time',
      tags: ['users'],
      querystring: ListUsersQuerySchema,
      response: { 200: UserListSchema, ...errorResponses }
    }
  }, async (request) => fastify.users.list(request.query.limit, request.query.cursor))

  fastify.get('/users/:id', {
    // One user (a username of at most 100 characters): under the 1 KiB compression threshold; a page of them is not.
    compress: false,
    schema: {
      operationId: 'getUser',
      summary: 'One user',
      tags: ['users'],
      params: UserParamsSchema,
      response: { 200: Type.Ref(UserSchema), 404: ErrorRef, ...errorResponses }
    }
  }, async (request) => fastify.users.get(request.params.id))

  fastify.post('/users', {
    // The user created: under the 1 KiB compression threshold.
    compress: false,
    schema: {
      operationId: 'createUser',
      summary: 'Create a user',
      tags: ['users'],
      body: CreateUserSchema,
      response: { 201: CreatedUserSchema, 409: ErrorRef, ...errorResponses }
    }
  }, async (request, reply) => {
    const user = await fastify.users.create(request.body.username)
    return reply.code(201).send({ message: 'User created successfully', user })
  })
}

export default users
