import { Type, type Static } from '@sinclair/typebox'
import { DECIMAL_INTEGER, Timestamp } from './common.ts'
import { USERNAME_MAX_LENGTH } from '../lib/username.ts'

// The rule is lib/username.ts's; the schema refuses early what it never accepts. As sent, a name
// may be longer than it is stored: a decomposed "é" is two characters, stored as one.
export const Username = Type.String({
  minLength: 1,
  maxLength: 4 * USERNAME_MAX_LENGTH,
  // Letters, combining marks, decimal digits and _ . - (full-width ones too, mapped when stored).
  pattern: '^[\\p{L}\\p{M}\\p{Nd}_.\\-\\uFF3F\\uFF0E\\uFF0D]+$',
  description: 'Unique name, stored and compared as the PRECIS UsernameCaseMapped profile (RFC 8265) normalises it: ' +
    'full-width forms to their usual width, lower case, NFC. Once normalised: 1 to 100 letters, combining marks, decimal digits, ' +
    '"_", "." or "-", all of one script, or Latin with Han and kana, Bopomofo or Hangul (Unicode TS #39, highly restrictive); ' +
    'right-to-left names follow the Bidi rule (RFC 5893). Names that normalise the same are the same name: "Admin" and ' +
    '"ａｄｍｉｎ" are "admin".'
})

export const UserId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

export const UserSchema = Type.Object({
  id: UserId,
  username: Type.String({ description: 'As stored: normalised (see the username of POST /api/users), or as it was for a user taken over from the Flask service' }),
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
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: `The user's id. ${DECIMAL_INTEGER}` })
})

// The cursor is the id of the last user of the previous page: opaque to clients.
export const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'next_cursor of the previous page' })

export const ListUsersQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: `Users per page. ${DECIMAL_INTEGER}` }),
  cursor: Type.Optional(Cursor)
}, { additionalProperties: false })

export type ListUsersQuery = Static<typeof ListUsersQuerySchema>

export const UserListSchema = Type.Object({
  users: Type.Array(Type.Ref(UserSchema)),
  count: Type.Integer({ minimum: 0, description: 'Number of users on this page' }),
  next_cursor: Type.Union([Cursor, Type.Null()], { description: 'Pass as cursor for the next page; null on the last page' })
})

export type UserList = Static<typeof UserListSchema>
