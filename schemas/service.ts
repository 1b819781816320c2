import { Type } from '@sinclair/typebox'
import { Timestamp } from './common.ts'

export const WelcomeSchema = Type.Object({
  message: Type.String(),
  service: Type.String(),
  version: Type.String(),
  timestamp: Timestamp
})

const Backend = Type.Object({
  backend: Type.String({ description: 'postgresql, redis, or embedded' }),
  host: Type.Optional(Type.String({ description: 'Only outside production' }))
})

export const InfoSchema = Type.Object({
  service: Type.String(),
  version: Type.String(),
  environment: Type.String(),
  hostname: Type.Optional(Type.String({ description: 'Only outside production' })),
  node_version: Type.String(),
  uptime_seconds: Type.Number(),
  pid: Type.Integer(),
  database: Backend,
  redis: Backend,
  timestamp: Timestamp
})

export const CounterSchema = Type.Object({
  message: Type.String(),
  counter: Type.Integer({ minimum: 1 }),
  timestamp: Timestamp
})
