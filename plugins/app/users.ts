import fp from 'fastify-plugin'
import createError from '@fastify/error'
import type { FastifyInstance } from 'fastify'
import type { User, UserList } from '../../schemas/users.ts'
import { enforceUsername } from '../../lib/username.ts'

export interface Users {
  /**
   * Creates a user under the name as lib/username.ts normalises it; rejects with a 400 error
   * when it cannot be a username, a 409 error when a name that normalises the same is taken.
   */
  create (username: string): Promise<User>
  /** Newest first, `limit` at most, after the user whose id is `cursor`. */
  list (limit: number, cursor?: string): Promise<UserList>
  /** The user with this id; rejects with a 404 error when there is none. */
  get (id: number): Promise<User>
}

declare module 'fastify' {
  interface FastifyInstance {
    users: Users
  }
}

export const UsernameTaken = createError('USERNAME_TAKEN', 'Username "%s" is already taken', 409)
// Named as the schema's errors name the field: POST /api/users is create()'s only caller.
export const InvalidUsername = createError('INVALID_USERNAME', 'body/username %s', 400)
export const UserNotFound = createError('USER_NOT_FOUND', 'User %s not found', 404)

interface UserRow { id: string, username: string, created_at: Date }

// Exported for the benchmark's ceiling server (bench/ceiling.ts), which runs the same statements.
// $1 is a normalised name, which is its own key (migrations/004). ON CONFLICT DO NOTHING, on
// either unique index: a taken name inserts nothing and raises nothing, so repeated attempts
// leave no dead tuples behind in the unique index and no errors in the server log.
export const CREATE_USER = 'INSERT INTO users (username, username_key) VALUES ($1::text, $1::text) ON CONFLICT DO NOTHING RETURNING id, username, created_at'
export const LIST_USERS_FIRST = 'SELECT id, username, created_at FROM users ORDER BY id DESC LIMIT $1'

function toUser (row: UserRow): User {
  // id is bigint in SQL, returned by pg as a string; ids stay below 2^53 in practice.
  return { id: Number(row.id), username: row.username, created_at: row.created_at.toISOString() }
}

/**
 * The users table: all of its SQL is here, parameterised, and prepared once per connection
 * (named statements). Every statement runs alone in autocommit, so none can leave a connection
 * in an aborted transaction.
 */
export default fp(async function users (fastify: FastifyInstance) {
  const { pg } = fastify

  fastify.decorate('users', {
    async create (input) {
      const enforced = enforceUsername(input)
      if (!enforced.ok) throw new InvalidUsername(enforced.reason)
      const { username } = enforced
      const { rows } = await pg.query<UserRow>({
        name: 'users-create',
        text: CREATE_USER,
        values: [username]
      })
      if (rows.length === 0) throw new UsernameTaken(username)
      return toUser(rows[0])
    },

    async list (limit, cursor) {
      // One row more than asked tells whether there is a next page. Two statements, so each
      // keeps its own plan: a backward scan of the primary key from the top or from the cursor.
      const { rows } = cursor === undefined
        ? await pg.query<UserRow>({
          name: 'users-list-first',
          text: LIST_USERS_FIRST,
          values: [limit + 1]
        })
        : await pg.query<UserRow>({
          name: 'users-list-after',
          text: 'SELECT id, username, created_at FROM users WHERE id < $1 ORDER BY id DESC LIMIT $2',
          values: [cursor, limit + 1]
        })
      const page = rows.slice(0, limit).map(toUser)
      const more = rows.length > limit
      return { users: page, count: page.length, next_cursor: more ? String(page[page.length - 1].id) : null }
    },

    async get (id) {
      const { rows } = await pg.query<UserRow>({
        name: 'users-find',
        text: 'SELECT id, username, created_at FROM users WHERE id = $1',
        values: [id]
      })
      if (rows.length === 0) throw new UserNotFound(id)
      return toUser(rows[0])
    }
  } satisfies Users)
}, { name: 'users', dependencies: ['database'] })
