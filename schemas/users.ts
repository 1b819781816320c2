import { Type, type Static } from '@sinclair/typebox'
import { Timestamp } from './common.ts'

export const USERNAME_MAX_LENGTH = 100

export const Username = Type.String({
  minLength: 1,
  maxLength: USERNAME_MAX_LENGTH,
  // Letters and digits of any script, and _ . - : no spaces, no control characters.
  pattern: '^[\\p{L}\\p{N}_.-]+$',
  description: 'Unique name: 1 to 100 letters, digits, "_", "." or "-"'
})

export const UserId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

export const UserSchema = Type.Object({
  id: UserId,
  username: Type.String(),
  created_at: Timestamp
}, { $id: 'User', title: 'User' })

export type User = Static<typeof UserSchema>

export const CreateUserSchema = Type.Object({
  username: Username
}, { additionalProperties: false })

export type CreateUser = Static<typeof CreateUserSchema>

export const CreatedUserSchema = Type.Object({
  message: Type.String(),
  user: Type.Ref(UserSchema)
})

export const UserParamsSchema = Type.Object({
  id: UserId
})

// The cursor is the id of the last user of the previous page: opaque to clients.
export const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'next_cursor of the previous page' })

export const ListUsersQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  cursor: Type.Optional(Cursor)
}, { additionalProperties: false })

export type ListUsersQuery = Static<typeof ListUsersQuerySchema>

export const UserListSchema = Type.Object({
  users: Type.Array(Type.Ref(UserSchema)),
  count: Type.Integer({ minimum: 0, description: 'Number of users on this page' }),
  next_cursor: Type.Union([Cursor, Type.Null()], { description: 'Pass as cursor for the next page; null on the last page' })
})

export type UserList = Static<typeof UserListSchema>
