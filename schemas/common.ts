import { Type } from '@sinclair/typebox'

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 date and time' })
