import { Type, type Static } from '@sinclair/typebox'
import { Timestamp } from './common.ts'

export const EndpointVisits = Type.Object({
  method: Type.String(),
  route: Type.String(),
  visits: Type.Integer({ minimum: 0 })
})

export const StatsSchema = Type.Object({
  total_visits: Type.Integer({ minimum: 0 }),
  timestamp: Timestamp,
  endpoints: Type.Array(EndpointVisits),
  pending_visits: Type.Integer({ minimum: 0, description: 'Recorded in this instance, not yet written' }),
  dropped_visits: Type.Integer({ minimum: 0, description: 'Dropped by this instance since start: buffer full while the database was down' })
})

export type Stats = Static<typeof StatsSchema>

export type VisitTotals = Pick<Stats, 'total_visits' | 'endpoints'>
