import { Type } from '@sinclair/typebox'

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 date and time' })

// An integer in a path or query string: plugins/external/validation.ts reads it from decimal digits only,
// so a client's "16" is the only spelling of 16 (not "0x10", "016", "+16", "1.6e1" or " 16").
export const DECIMAL_INTEGER = 'In decimal digits, with no sign, space, leading zero, point or exponent'
