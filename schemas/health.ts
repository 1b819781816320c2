import { Type, type Static } from '@sinclair/typebox'
import { Timestamp } from './common.ts'

export const DependencyStateSchema = Type.Union([
  Type.Literal('connected'),
  Type.Literal('disconnected'),
  Type.Literal('migrating'),
  Type.Literal('embedded')
])

export type DependencyState = Static<typeof DependencyStateSchema>

export const ChecksSchema = Type.Object({
  database: DependencyStateSchema,
  redis: DependencyStateSchema
})

export type Checks = Static<typeof ChecksSchema>

export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded')]),
  service: Type.String(),
  timestamp: Timestamp,
  checks: ChecksSchema,
  visits: Type.Object({
    pending: Type.Integer({ minimum: 0, description: 'Visits buffered, not yet written' }),
    dropped: Type.Integer({ minimum: 0, description: 'Visits not written since start: the buffer was full, or the database refused the row' }),
    refused: Type.Integer({ minimum: 0, description: 'Of the dropped, those the database refused as invalid (logged once per reason)' }),
    last_write_age_seconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { description: 'Seconds since visits were last written; null before the first write' }),
    oldest_pending_seconds: Type.Number({ minimum: 0, description: 'How long the oldest visit not yet written has waited; 0 when none is pending' })
  })
})

export type Health = Static<typeof HealthSchema>

export const LiveSchema = Type.Object({
  status: Type.Literal('alive'),
  uptime_seconds: Type.Number()
})

export const StartedSchema = Type.Object({
  status: Type.Union([Type.Literal('serving'), Type.Literal('starting')], { description: 'serving: start-up and migrations are done, this task can take traffic' }),
  migrations: Type.Union([Type.Literal('applied'), Type.Literal('pending')])
})
