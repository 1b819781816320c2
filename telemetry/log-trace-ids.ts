// Trace ids in log lines, in place of the pino instrumentation's mixin, which read the active
// context, tested both ids with regexes and built an object for every line (0.6–1.0 µs a line).
// A request's logger gets them once, as bindings, when its server span starts
// (telemetry/server-spans.ts): every line it writes carries them, the access-log line too. Any
// other logger, `fastify.log` above all, gets them from the active span by a mixin, so a line
// written through it within a request carries that request's ids, and one outside any has none.
import { context, INVALID_TRACEID, trace, type SpanContext } from '@opentelemetry/api'
import type { FastifyBaseLogger } from 'fastify'
import type { Logger, LoggerOptions } from 'pino'

const kBound = Symbol('trace ids bound')
/** What the mixin returns for a line that gets no ids; never merged into. */
const NONE: Record<string, string> = Object.freeze({}) as Record<string, string>

/** The fields as the pino instrumentation names and formats them. */
export function traceIdFields (spanContext: SpanContext): Record<string, string> {
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: `0${spanContext.traceFlags.toString(16)}` }
}

/** `logger` (a request's) writes the span's ids on every line from now on. */
export function bindTraceIds (logger: FastifyBaseLogger, spanContext: SpanContext): void {
  const pinoLogger = logger as Logger & { [kBound]?: true }
  // `logger: false` gives requests abstract-logging's logger, which has no bindings.
  if (spanContext.traceId === INVALID_TRACEID || typeof pinoLogger.setBindings !== 'function') return
  pinoLogger.setBindings(traceIdFields(spanContext))
  pinoLogger[kBound] = true
}

function mixin (_merge: object, _level: number, logger: unknown): Record<string, string> {
  if ((logger as { [kBound]?: true })[kBound] === true) return NONE
  const span = trace.getSpan(context.active())
  if (span === undefined) return NONE
  const spanContext = span.spanContext()
  return spanContext.traceId === INVALID_TRACEID ? NONE : traceIdFields(spanContext)
}

/** The pino options that put the active span's ids on lines of loggers that have none bound. */
export const traceIdsMixin: Pick<LoggerOptions, 'mixin' | 'mixinMergeStrategy'> = {
  mixin,
  // The line's own fields win, as pino's default; NONE is shared, so it is never the target.
  mixinMergeStrategy: (merge, fields) => fields === NONE ? merge : Object.assign(fields, merge)
}
