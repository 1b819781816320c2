// Trace ids in log lines, in place of the pino instrumentation's mixin, which read the active
// context, tested both ids with regexes and built an object for every line (0.6–1.0 µs a line).
// A request's logger gets them once, as bindings, when its server span starts
// (telemetry/server-spans.ts): every line it writes carries them, the access-log line too. Any
// other logger, `fastify.log` above all, gets them from the active span by a mixin, so a line
// written through it within a request carries that request's ids, and one outside any has none.
import { context, INVALID_TRACEID, isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api'
import type { FastifyBaseLogger } from 'fastify'
import pino, { type LoggerOptions } from 'pino'

// A logger's bindings, as the JSON text pino writes on each of its lines (pino's public symbol).
const { chindingsSym } = pino.symbols
/** Marks a logger bound through `setBindings` (the fallback of bindTraceIds). */
const kBound = Symbol('trace ids bound')
/** What the mixin returns for a line that gets no ids; never merged into. */
const NONE: Record<string, string> = Object.freeze({}) as Record<string, string>

/** The trace flags as the pino instrumentation writes them: `01`, `00`. */
function flagsText (spanContext: SpanContext): string {
  return `0${spanContext.traceFlags.toString(16)}`
}

/** The fields as the pino instrumentation names and formats them. */
export function traceIdFields (spanContext: SpanContext): Record<string, string> {
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: flagsText(spanContext) }
}

/**
 * `logger` (a request's) writes the span's ids on every line from now on: the fields
 * `setBindings(traceIdFields(spanContext))` would add, appended to the logger's bindings text
 * without JSON.stringify of each id and a rebuild of the rest (0.6 against 0.2 µs a request,
 * `npm run bench:profile -- / --telemetry`). A valid span context's ids are hex: nothing to escape.
 * A logger whose bindings text is not where this pino keeps it (another copy of pino) gets them
 * through `setBindings`.
 */
export function bindTraceIds (logger: FastifyBaseLogger, spanContext: SpanContext): void {
  if (!isSpanContextValid(spanContext)) return
  const pinoLogger = logger as unknown as { [chindingsSym]?: unknown, setBindings?: (bindings: Record<string, string>) => void }
  const bindings = pinoLogger[chindingsSym]
  if (typeof bindings === 'string') {
    pinoLogger[chindingsSym] = `${bindings},"trace_id":"${spanContext.traceId}","span_id":"${spanContext.spanId}","trace_flags":"${flagsText(spanContext)}"`
  } else if (typeof pinoLogger.setBindings === 'function') {
    pinoLogger.setBindings(traceIdFields(spanContext))
    ;(pinoLogger as { [kBound]?: true })[kBound] = true
  }
  // `logger: false` gives requests abstract-logging's logger, which has no bindings.
}

/** Whether `logger`'s own bindings hold trace ids (bindTraceIds), read from them rather than marked on the logger: a property added to every request's logger changed its shape on every request. */
function hasBoundIds (logger: unknown): boolean {
  const bindings = (logger as { [chindingsSym]?: unknown })[chindingsSym]
  return typeof bindings === 'string' ? bindings.includes(',"trace_id":') : (logger as { [kBound]?: true })[kBound] === true
}

function mixin (_merge: object, _level: number, logger: unknown): Record<string, string> {
  if (hasBoundIds(logger)) return NONE
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
