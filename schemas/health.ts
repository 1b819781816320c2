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
    dropped: Type.Integer({ minimum: 0, description: 'Visits dropped since start because the buffer was full' })
  })
})

export type Health = Static<typeof HealthSchema>

export const LiveSchema = Type.Object({
  status: Type.Literal('alive'),
  uptime_seconds: Type.Number()
})
