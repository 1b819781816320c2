// The OpenTelemetry SDK of the service (loaded by preload.ts only when something is exported).
// Exporters, sampler, batch limits, resource and propagators come from the standard OTEL_*
// variables, read by the SDK itself; what is decided here is what to instrument.
import { context, createNoopMeter, diag, DiagLogLevel, trace, type DiagLogger } from '@opentelemetry/api'
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino'
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node'
import { InstrumentType, type MetricReader } from '@opentelemetry/sdk-metrics'
import type { Config } from '../config/schema.ts'
import { enabledInstrumentations, telemetrySignals, traceIdsInLogs, type InstrumentationName } from '../config/telemetry.ts'
import { requestDurations } from './request-durations.ts'
import { traceServerRequests } from './server-spans.ts'

/** Probes and documentation make no spans (the load balancer calls /health/started every few seconds, ECS /health). */
export const UNTRACED = /^\/(health(\/(live|started))?|docs(\/.*)?|nginx-health)\/?(\?.*)?$/
/** The first character after `/` of every path UNTRACED matches: the regex runs on those only. */
const UNTRACED_FIRST = 'hdn'

// The SDK's error handler hands over an error serialised as JSON (stack included): its message.
function errorMessage (text: string): string {
  if (!text.startsWith('{')) return text
  try {
    const { message } = JSON.parse(text) as { message?: unknown }
    return typeof message === 'string' ? message : text
  } catch {
    return text
  }
}

/**
 * A collector that is down answers every export with an error: the SDK reports each one. This
 * logger writes the first, then at most one line a minute saying how many it left out, as JSON
 * on stderr like the service's own log.
 */
export function quietDiagLogger (write: (line: string) => void = (line) => process.stderr.write(line), intervalMs = 60_000): DiagLogger {
  let last = -Infinity
  let suppressed = 0
  const log = (level: number, name: string) => (message: string, ...args: unknown[]) => {
    const now = Date.now()
    if (now - last < intervalMs) {
      suppressed++
      return
    }
    last = now
    const detail = args.map((a) => typeof a === 'string' ? a : typeof (a as Error)?.message === 'string' ? (a as Error).message : JSON.stringify(a)).join(' ')
    write(JSON.stringify({ level, time: now, name: 'opentelemetry', msg: `${errorMessage(message)}${detail ? ` ${detail}` : ''}`, suppressed, diagLevel: name }) + '\n')
    suppressed = 0
  }
  return { error: log(50, 'error'), warn: log(40, 'warn'), info: () => {}, debug: () => {}, verbose: () => {} }
}

type Instrumentation = Extract<NonNullable<NodeSDKConfiguration['instrumentations']>[number], { enable: unknown }>

type Patch = (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown
type Wrap = (target: object, name: string, patch: Patch) => unknown

/**
 * `instrumentation`'s patches of the functions named, run only within a span that records (a
 * sampled request); elsewhere the library's own function runs, its callbacks bound to the
 * caller's context. A request that is not sampled keeps its span and its trace id in every log
 * line, and its SQL and Redis commands make no span: without this, each of them cost the
 * instrumentation's whole work (attributes, a span that records nothing, a wrapped callback and
 * promise chain) for nothing. The binding is what the patches do only under a parent span: a
 * pool calls a waiting caller back from whichever request released a connection, and a visit
 * batch, which has no parent, would run its statement in that request's trace.
 * Instrumentations patch as their module loads, after this (preload.ts runs first).
 */
function recordingOnly<T extends Instrumentation> (instrumentation: T, names: string[]): T {
  // InstrumentationBase's `_wrap` (protected): the one function its patches go through.
  const base = instrumentation as unknown as { _wrap: Wrap }
  const wrap = base._wrap
  base._wrap = (target, name, patch) => wrap(target, name, names.includes(name) ? whenRecording(patch) : patch)
  return instrumentation
}

function whenRecording (patch: Patch): Patch {
  return (original) => {
    const patched = patch(original)
    return function (this: unknown, ...args: unknown[]) {
      const active = context.active()
      if (trace.getSpan(active)?.isRecording() === true) return patched.apply(this, args)
      for (let i = 0; i < args.length; i++) {
        const arg = args[i]
        if (typeof arg === 'function') args[i] = bound(active, arg as (...a: unknown[]) => unknown)
      }
      return original.apply(this, args)
    }
  }
}

/**
 * `callback`, run in `active` whichever context calls it: what `context.bind` does, without the
 * `defineProperty` of its `length` that `context.bind` pays per callback (about 1 % of the CPU
 * of GET /api/users, not sampled). The drivers call their callbacks by position, never by arity.
 */
export function bound (active: ReturnType<typeof context.active>, callback: (...args: unknown[]) => unknown) {
  return function (this: unknown, ...args: unknown[]) { return context.with(active, callback, this, ...args) }
}

/**
 * Gives every metric reader the SDK built from OTEL_METRICS_EXPORTER a producer of `durations`. NodeSDK builds
 * its readers in its constructor and passes them no producer, and a MetricReader takes
 * `metricProducers` only in its own constructor: both fields are private, so this reaches them,
 * on the versions package-lock.json pins; it throws rather than export no histogram if they
 * move (and test/system/telemetry.test.ts's metrics test fails).
 */
function addMetricProducer (sdk: NodeSDK, durations: typeof requestDurations): void {
  const readers = (sdk as unknown as { _meterProviderConfig?: { readers?: MetricReader[] } })._meterProviderConfig?.readers ?? []
  for (const reader of readers) {
    const producers = (reader as unknown as { _metricProducers?: unknown[] })._metricProducers
    if (!Array.isArray(producers)) throw new Error('@opentelemetry/sdk-metrics: a MetricReader without _metricProducers; telemetry/sdk.ts addMetricProducer needs updating for this version')
    // In the temporality the reader asks of a histogram (its exporter's preference).
    producers.push(durations.forReader(reader.selectAggregationTemporality(InstrumentType.HISTOGRAM)))
  }
}

/** The SDK for the validated configuration (preload.ts has read it once already). */
export function startTelemetry (config: Config): NodeSDK {
  const signals = telemetrySignals(config)
  // OTEL_LOG_LEVEL, when set, gives the SDK's own console logger instead (NodeSDK).
  diag.setLogger(quietDiagLogger(), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
  // The server span of every request, continuing the caller's traceparent, named by method and
  // route template (never the raw URL), the parent of its SQL and Redis spans: ours, not an
  // instrumentation (telemetry/server-spans.ts), started once the SDK has its tracer provider.
  const serverSpans = enabledInstrumentations(config).includes('fastify')
  const instrumentations: Record<InstrumentationName, () => Instrumentation | undefined> = {
    fastify: () => undefined,
    // Outgoing HTTP calls only (client spans, traceparent sent on): the server span of each
    // request is telemetry/server-spans.ts's. Measured (docs/decisions.md, "Telemetry: what was taken off the request path"): the incoming-request
    // instrumentation cost GET / about 60 % of its throughput, even for requests not sampled.
    http: () => new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    // Only within a request: the background readiness checks and visit batches make no traces.
    // Pool checkouts, connections, statements and commands of sampled requests only (recordingOnly).
    pg: () => recordingOnly(new PgInstrumentation({ requireParentSpan: true }), ['connect', 'query']),
    ioredis: () => recordingOnly(new IORedisInstrumentation({ requireParentSpan: true }), ['sendCommand']),
    // trace_id, span_id and trace_flags in every log line written within a request are
    // telemetry/log-trace-ids.ts's; the instrumentation only sends log records, when asked to.
    pino: () => signals.logs ? new PinoInstrumentation({ disableLogCorrelation: true }) : undefined,
    // Event-loop delay and utilisation, V8 heap.
    'runtime-node': () => new RuntimeNodeInstrumentation()
  }
  // OTEL_METRICS_EXPORTER=prometheus: the exporter's own default address is localhost, out of a
  // scraper's reach from outside the container. Unset, /metrics listens where the service does
  // (HOST), on a port of its own that nginx does not proxy. The SDK reads it from the environment.
  if (config.OTEL_EXPORTER_PROMETHEUS_HOST === undefined) process.env.OTEL_EXPORTER_PROMETHEUS_HOST = config.HOST
  // Only those enabled are constructed: an instrumentation enables itself in its constructor.
  const started = enabledInstrumentations(config).map((name) => instrumentations[name]()).filter((i) => i !== undefined)
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) names the service; else the
    // SDK's default `unknown_service:node` would: name it as the service names itself.
    ...(config.OTEL_SERVICE_NAME || /(^|,)service\.name=/.test(config.OTEL_RESOURCE_ATTRIBUTES ?? '') ? {} : { serviceName: config.SERVICE_NAME }),
    // A signal that is off gets no pipeline (the SDK would default it to OTLP on localhost).
    ...(signals.traces ? {} : { spanProcessors: [] }),
    ...(signals.metrics ? {} : { metricReaders: [] }),
    ...(signals.logs ? {} : { logRecordProcessors: [] }),
    instrumentations: started
  })
  if (signals.metrics) {
    requestDurations.scope = { name: config.SERVICE_NAME }
    addMetricProducer(sdk, requestDurations)
  }
  sdk.start()
  if (serverSpans) traceServerRequests({ untraced: UNTRACED, untracedFirstChars: UNTRACED_FIRST, traceIdsInLogs: traceIdsInLogs(config), tracer: trace.getTracer(config.SERVICE_NAME) })
  // pg's instrumentation also records metrics on every query and pool event: the pool counted
  // from its events (wrong here, and named unknown_host for a pool configured by connection
  // string) and an operation-duration histogram. Profiled on GET /api/users, recording them was
  // 9 % of the service's CPU. plugins/app/metrics.ts reads the pool's own counters instead.
  for (const pg of started) if (pg instanceof PgInstrumentation) pg.setMeterProvider({ getMeter: () => createNoopMeter() })
  return sdk
}
