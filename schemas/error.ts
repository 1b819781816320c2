import { Type, type Static } from '@sinclair/typebox'

// The one error shape of the service: every 4xx and 5xx answer has it.
export const ErrorSchema = Type.Object({
  statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
  error: Type.String({ description: 'HTTP reason phrase' }),
  message: Type.String({ description: 'What went wrong, safe to show to a client' })
}, { $id: 'Error', title: 'Error' })

export type ErrorBody = Static<typeof ErrorSchema>

export const ErrorRef = Type.Ref(ErrorSchema)

/** Response entries for the errors any route can answer, merged into each route's schema. */
export const errorResponses = {
  '4xx': ErrorRef,
  '5xx': ErrorRef
}
