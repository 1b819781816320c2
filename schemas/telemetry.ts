import { Type } from '@sinclair/typebox'

// The OpenTelemetry variables the service reads, with their standard names and meanings
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). They are
// part of ConfigSchema, so a wrong value stops start-up like any other variable; the SDK itself
// reads them (telemetry.ts). No default here: unset means the SDK's own default.
const oneOf = (values: string[]) => Type.Union(values.map((v) => Type.Literal(v)))
// A comma-separated list of the given names (OTEL_TRACES_EXPORTER=otlp,console).
const listOf = (values: string[]) => Type.String({ pattern: `^\\s*(${values.join('|')})\\s*(,\\s*(${values.join('|')})\\s*)*$` })
const url = Type.String({ pattern: '^https?://[^\\s]+$' })
const count = Type.Integer({ minimum: 1, maximum: 1_000_000 })
const millis = Type.Integer({ minimum: 1, maximum: 600_000 })

/**
 * The instrumentations the SDK can start (lib/telemetry.ts), by the names that
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS and OTEL_NODE_DISABLED_INSTRUMENTATIONS take: the package
 * name without `@opentelemetry/instrumentation-`, as in the OpenTelemetry Node distribution;
 * `fastify` is `@fastify/otel`.
 */
export const INSTRUMENTATIONS = ['fastify', 'http', 'pg', 'ioredis', 'pino', 'runtime-node'] as const
export type InstrumentationName = typeof INSTRUMENTATIONS[number]

const Samplers = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']

export const TelemetrySchema = Type.Object({
  OTEL_SDK_DISABLED: Type.Optional(Type.Boolean()),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1 })),
  OTEL_RESOURCE_ATTRIBUTES: Type.Optional(Type.String({ pattern: '^[^=,\\s]+=[^,]*(,[^=,\\s]+=[^,]*)*$' })),
  OTEL_LOG_LEVEL: Type.Optional(oneOf(['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'])),
  OTEL_PROPAGATORS: Type.Optional(listOf(['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none'])),
  // Which instrumentations start: all by default; only those enabled, less those disabled.
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: Type.Optional(listOf([...INSTRUMENTATIONS])),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: Type.Optional(listOf([...INSTRUMENTATIONS])),

  // Where: with no endpoint and no exporter named, nothing is exported and no SDK is loaded.
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(url),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(url),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: Type.Optional(url),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Optional(oneOf(['http/protobuf', 'http/json', 'grpc'])),
  OTEL_EXPORTER_OTLP_HEADERS: Type.Optional(Type.String()),
  OTEL_EXPORTER_OTLP_TIMEOUT: Type.Optional(millis),
  OTEL_TRACES_EXPORTER: Type.Optional(listOf(['otlp', 'console', 'none'])),
  OTEL_METRICS_EXPORTER: Type.Optional(listOf(['otlp', 'prometheus', 'console', 'none'])),
  // Logs go to stdout (each line with its trace id); exporting them too is opt-in.
  OTEL_LOGS_EXPORTER: Type.Optional(listOf(['otlp', 'console', 'none'])),
  OTEL_EXPORTER_PROMETHEUS_HOST: Type.Optional(Type.String({ minLength: 1 })),
  OTEL_EXPORTER_PROMETHEUS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),

  // How much: parentbased_always_on by default (every trace).
  OTEL_TRACES_SAMPLER: Type.Optional(oneOf(Samplers)),
  OTEL_TRACES_SAMPLER_ARG: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  OTEL_METRIC_EXPORT_INTERVAL: Type.Optional(millis),
  OTEL_METRIC_EXPORT_TIMEOUT: Type.Optional(millis),

  // The span queue: its bound is what keeps memory flat when the collector is down or slow.
  OTEL_BSP_MAX_QUEUE_SIZE: Type.Optional(count),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Type.Optional(count),
  OTEL_BSP_SCHEDULE_DELAY: Type.Optional(millis),
  OTEL_BSP_EXPORT_TIMEOUT: Type.Optional(millis)
})

type TelemetryConfig = Partial<Record<keyof typeof TelemetrySchema.properties, unknown>>

export interface TelemetrySignals {
  traces: boolean
  metrics: boolean
  /** Log records to an OTLP endpoint as well as stdout (opt-in: OTEL_LOGS_EXPORTER). */
  logs: boolean
}

const named = (list: unknown) => typeof list === 'string' ? list.split(',').map((s) => s.trim()).filter((s) => s !== 'none') : undefined

/** The instrumentations to start, in INSTRUMENTATIONS' order: OTEL_NODE_ENABLED_INSTRUMENTATIONS (else all), less OTEL_NODE_DISABLED_INSTRUMENTATIONS. */
export function enabledInstrumentations (config: TelemetryConfig): InstrumentationName[] {
  const enabled = named(config.OTEL_NODE_ENABLED_INSTRUMENTATIONS) ?? INSTRUMENTATIONS
  const disabled = named(config.OTEL_NODE_DISABLED_INSTRUMENTATIONS) ?? []
  return INSTRUMENTATIONS.filter((name) => enabled.includes(name) && !disabled.includes(name))
}

/**
 * Which signals are exported. A signal is on when its exporter is named (other than `none`) or,
 * with none named, when an OTLP endpoint is set for it; OTEL_SDK_DISABLED turns all off.
 */
export function telemetrySignals (config: TelemetryConfig): TelemetrySignals {
  if (config.OTEL_SDK_DISABLED === true) return { traces: false, metrics: false, logs: false }
  const general = config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined
  const on = (exporter: unknown, endpoint: unknown) => {
    const exporters = named(exporter)
    return exporters === undefined ? general || endpoint !== undefined : exporters.length > 0
  }
  return {
    traces: on(config.OTEL_TRACES_EXPORTER, config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    metrics: on(config.OTEL_METRICS_EXPORTER, config.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT),
    logs: (named(config.OTEL_LOGS_EXPORTER) ?? []).length > 0
  }
}
