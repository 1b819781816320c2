import { Type } from '@sinclair/typebox'

// The OpenTelemetry variables the service reads, with their standard names and meanings
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). They are
// part of ConfigSchema, so a wrong value stops start-up like any other variable; the SDK itself
// reads them (telemetry.ts). No default here: unset means the SDK's own default.
const oneOf = (values: string[], description: string) => Type.Union(values.map((v) => Type.Literal(v)), { description })
// A comma-separated list of the given names (OTEL_TRACES_EXPORTER=otlp,console); the names are
// said once, here, for the description too.
const listOf = (values: string[], description: string) => Type.String({
  pattern: `^\\s*(${values.join('|')})\\s*(,\\s*(${values.join('|')})\\s*)*$`,
  description: `${description} (comma-separated: ${values.map((v) => `\`${v}\``).join(', ')})`
})
const url = (description: string) => Type.String({ pattern: '^https?://[^\\s]+$', description })
const count = (description: string) => Type.Integer({ minimum: 1, maximum: 1_000_000, description })
const millis = (description: string) => Type.Integer({ minimum: 1, maximum: 600_000, description })

/**
 * The instrumentations the SDK can start (telemetry/sdk.ts), by the names that
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS and OTEL_NODE_DISABLED_INSTRUMENTATIONS take: the package
 * name without `@opentelemetry/instrumentation-`, as in the OpenTelemetry Node distribution;
 * `fastify` is the service's server spans (telemetry/server-spans.ts, in place of `@fastify/otel`)
 * and `pino` the trace ids in log lines (telemetry/log-trace-ids.ts) and, with
 * OTEL_LOGS_EXPORTER, `@opentelemetry/instrumentation-pino`'s log sending.
 */
export const INSTRUMENTATIONS = ['fastify', 'http', 'pg', 'ioredis', 'pino', 'runtime-node'] as const
export type InstrumentationName = typeof INSTRUMENTATIONS[number]

const Samplers = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']

export const TelemetrySchema = Type.Object({
  OTEL_SDK_DISABLED: Type.Optional(Type.Boolean({ description: '`true` turns all telemetry off' })),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, description: 'The `service.name` resource attribute; unset: SERVICE_NAME' })),
  OTEL_RESOURCE_ATTRIBUTES: Type.Optional(Type.String({ pattern: '^[^=,\\s]+=[^,]*(,[^=,\\s]+=[^,]*)*$', description: 'Other resource attributes, comma-separated `key=value` pairs' })),
  OTEL_LOG_LEVEL: Type.Optional(oneOf(['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'], 'Level of the SDK\'s own diagnostics, on stderr')),
  OTEL_PROPAGATORS: Type.Optional(listOf(['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none'], 'How trace context is read from requests and sent on; unset: `tracecontext,baggage`')),
  // As in the OpenTelemetry Node distribution. `pg` off keeps SQL text out of the traces;
  // `runtime-node` off drops the runtime metrics.
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: Type.Optional(listOf([...INSTRUMENTATIONS], 'Only these instrumentations start; unset: all. `fastify` is the server span of each request: without it requests make no span, and pg and ioredis none either; `pino` puts trace ids in log lines')),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: Type.Optional(listOf([...INSTRUMENTATIONS], 'These instrumentations do not start, even when enabled')),

  // Where: with no endpoint and no exporter named, nothing is exported and no SDK is loaded.
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(url('The collector, e.g. `http://127.0.0.1:4318`: setting it turns traces and metrics on')),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(url('The collector of traces alone: setting it turns traces on')),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: Type.Optional(url('The collector of metrics alone: setting it turns metrics on')),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Optional(oneOf(['http/protobuf', 'http/json', 'grpc'], 'The OTLP transport; unset: `http/protobuf`')),
  OTEL_EXPORTER_OTLP_HEADERS: Type.Optional(Type.String({ description: 'Headers sent with every export, comma-separated `key=value` pairs' })),
  OTEL_EXPORTER_OTLP_TIMEOUT: Type.Optional(millis('Bound of one export, in ms; unset: 10000')),
  OTEL_TRACES_EXPORTER: Type.Optional(listOf(['otlp', 'console', 'none'], 'Where spans go; unset: OTLP when an endpoint is set')),
  OTEL_METRICS_EXPORTER: Type.Optional(listOf(['otlp', 'prometheus', 'console', 'none'], 'Where metrics go; unset: OTLP when an endpoint is set')),
  // Logs go to stdout (each line with its trace id) whatever this says.
  OTEL_LOGS_EXPORTER: Type.Optional(listOf(['otlp', 'console', 'none'], 'Where log records are exported as well as written to stdout; unset: nowhere')),
  // The exporter's own default address, localhost, would be out of a scraper's reach in a container.
  OTEL_EXPORTER_PROMETHEUS_HOST: Type.Optional(Type.String({ minLength: 1, description: 'With OTEL_METRICS_EXPORTER=prometheus: the address of the `/metrics` server; unset: HOST' })),
  OTEL_EXPORTER_PROMETHEUS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'With OTEL_METRICS_EXPORTER=prometheus: the port of the `/metrics` server, a server of its own (the service\'s port answers 404 to `/metrics`); unset: 9464' })),

  // How much: parentbased_always_on by default (every trace).
  OTEL_TRACES_SAMPLER: Type.Optional(oneOf(Samplers, 'Which traces are recorded; unset: `parentbased_always_on`, every trace')),
  OTEL_TRACES_SAMPLER_ARG: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'The ratio of the `traceidratio` samplers: `parentbased_traceidratio` with `0.1` keeps 10 % of new traces and every trace a caller sampled' })),
  OTEL_METRIC_EXPORT_INTERVAL: Type.Optional(millis('Metric export period, in ms; unset: 60000')),
  OTEL_METRIC_EXPORT_TIMEOUT: Type.Optional(millis('Bound of one metric export, in ms; unset: 30000')),

  // The span queue: its bound is what keeps memory flat when the collector is down or slow.
  OTEL_BSP_MAX_QUEUE_SIZE: Type.Optional(count('Spans waiting for export; beyond it spans are dropped, never kept; unset: 2048')),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Type.Optional(count('Spans per export; unset: 512')),
  OTEL_BSP_SCHEDULE_DELAY: Type.Optional(millis('Delay between two span exports, in ms; unset: 5000')),
  OTEL_BSP_EXPORT_TIMEOUT: Type.Optional(millis('Bound of one span export, in ms; unset: 30000'))
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

/** Whether log lines carry trace ids: something is exported and `pino` is enabled (telemetry/log-trace-ids.ts). */
export function traceIdsInLogs (config: TelemetryConfig): boolean {
  const { traces, metrics, logs } = telemetrySignals(config)
  return (traces || metrics || logs) && enabledInstrumentations(config).includes('pino')
}
