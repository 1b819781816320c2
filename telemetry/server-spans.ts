// The server span of every request, in place of @fastify/otel: the same span (SpanKind.SERVER,
// named by method and route template, continuing the caller's traceparent, the parent of the
// request's SQL and Redis spans) at about half the cost for a request that is not sampled, which
// is nine in ten in production (docs/decisions.md, "Telemetry: the request path's own costs").
// What it leaves out of that path: attributes built and sanitised before the sampler decides,
// `propagation.extract` of a request that has no traceparent, the route options object read for
// a span that records nothing, the ignore-path regex on every URL, and a second hook per route.
//
// Started the way @fastify/otel's `registerOnInitialization` is: on Fastify's
// `fastify.initialization` channel, so its onRequest hook is the instance's first and every
// request is in it, those the overload guard refuses and those no route matches too.
import { channel } from 'node:diagnostics_channel'
import { context, propagation, SpanKind, SpanStatusCode, type Context, type Span, type Tracer } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH, ATTR_URL_QUERY } from '@opentelemetry/semantic-conventions'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { bindTraceIds } from './log-trace-ids.ts'

export interface ServerSpanOptions {
  /** Paths that make no span (probes, documentation): tested only on URLs whose first segment could match `firstChars`. */
  untraced: RegExp
  /** The first characters after `/` of every path `untraced` can match: the regex runs only on those. */
  untracedFirstChars: string
  /** Trace ids on the request's logger (the `pino` instrumentation's job, done here as bindings). */
  traceIdsInLogs: boolean
  tracer: Tracer
}

const B3_HEADERS = ['b3', 'x-b3-traceid']
const kSpan = Symbol('server span')
type Traced = FastifyRequest & { [kSpan]: Span | null }
/** Requests whose span has recorded an error of its own (onError): rare, so kept out of every request's shape. */
const failed = new WeakSet<FastifyRequest>()

// The API's key of the active span (`createContextKey` is Symbol.for of its description).
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN')

/**
 * The request's context: its span over the parent context, what `trace.setSpan(parent, span)`
 * gives, without what the API's BaseContext does on every `setValue`: a copy of the parent's
 * values into a new Map and three closures per context (93–240 ns a request against 9–11, `npm run bench:telemetry-calls`).
 * Anything that sets or deletes a value gets an ordinary context back.
 */
export class RequestContext implements Context {
  readonly parent: Context
  readonly span: Span

  constructor (parent: Context, span: Span) {
    this.parent = parent
    this.span = span
  }

  getValue (key: symbol): unknown {
    return key === SPAN_KEY ? this.span : this.parent.getValue(key)
  }

  setValue (key: symbol, value: unknown): Context {
    return this.parent.setValue(SPAN_KEY, this.span).setValue(key, value)
  }

  deleteValue (key: symbol): Context {
    return key === SPAN_KEY ? this.parent.deleteValue(key) : this.parent.deleteValue(key).setValue(SPAN_KEY, this.span)
  }
}

/** `GET /api/users/:id`: method and route template; the method alone when no route matched. */
export function spanName (method: string, route: string | undefined): string {
  return route ? `${method} ${route}` : method
}

/** Whether `url` makes no span: a cheap look at its first character, then the regex. */
export function isUntraced (url: string, options: Pick<ServerSpanOptions, 'untraced' | 'untracedFirstChars'>): boolean {
  return options.untracedFirstChars.includes(url.charAt(1)) && options.untraced.test(url)
}

/** The caller's trace context when the request carries a header the propagators read (`fields`), else the active one. */
function parentContext (request: FastifyRequest, fields: readonly string[]): Context {
  const headers = request.headers
  for (let i = 0; i < fields.length; i++) {
    if (headers[fields[i]] !== undefined) return propagation.extract(context.active(), headers)
  }
  return context.active()
}

/** The span's name and attributes, set only on a span that records (a sampled request). */
function describe (span: Span, request: FastifyRequest): void {
  const route = request.routeOptions.url
  const url = request.url
  const query = url.indexOf('?')
  span.updateName(spanName(request.method, route))
  span.setAttribute(ATTR_HTTP_REQUEST_METHOD, request.method)
  span.setAttribute(ATTR_URL_PATH, query === -1 ? url : url.slice(0, query))
  if (query !== -1) span.setAttribute(ATTR_URL_QUERY, url.slice(query + 1))
  if (route) span.setAttribute(ATTR_HTTP_ROUTE, route)
}

/**
 * Ends the request's span: its status code from `reply` when the answer was sent; without one
 * (the client hung up first) the span says so (`error.type` `aborted`, as a client-side cancel).
 */
function endSpan (request: Traced, span: Span, reply: FastifyReply | undefined): void {
  request[kSpan] = null
  if (span.isRecording()) {
    if (reply !== undefined) {
      const status = reply.statusCode
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
      // A 5xx that did not throw has no error of its own; one that did keeps its message.
      if (status >= 500 && !failed.has(request)) span.setStatus({ code: SpanStatusCode.ERROR })
    } else {
      span.setAttribute(ATTR_ERROR_TYPE, 'aborted')
    }
  }
  span.end()
}

/** The hooks that make the server spans, added to `fastify` (the root instance, before any plugin). */
export function addServerSpanHooks (fastify: FastifyInstance, options: ServerSpanOptions): void {
  const tracer = options.tracer
  // The headers the configured propagators read (OTEL_PROPAGATORS; registered by sdk.start()),
  // and B3's other form: the B3 propagator injects one form (its `fields`) but extracts both.
  const fields = [...new Set([...propagation.fields(), ...B3_HEADERS].map((field) => field.toLowerCase()))]
  // Declared, so that every request has the same shape from its start.
  fastify.decorateRequest(kSpan, null)

  fastify.addHook('onRequest', function startServerSpan (req, reply, done) {
    const request = req as Traced
    if (isUntraced(request.url, options)) return done()
    const parent = parentContext(request, fields)
    // No attributes yet: the sampler decides on the trace id alone, and nine in ten record nothing.
    const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER }, parent)
    request[kSpan] = span
    if (span.isRecording()) {
      describe(span, request)
      // A client that hangs up before the answer is complete: Fastify runs no onResponse hook
      // (it waits for the response's finish or error), so the span ends when the connection
      // closes, with what is known. A span that records nothing needs no ending.
      reply.raw.once('close', () => { if (request[kSpan] === span) endSpan(request, span, reply.raw.writableFinished ? reply : undefined) })
    }
    if (options.traceIdsInLogs) bindTraceIds(request.log, span.spanContext())
    context.with(new RequestContext(parent, span), done)
  })

  fastify.addHook('onError', function recordServerSpanError (req, _reply, error, done) {
    const request = req as Traced
    const span = request[kSpan]
    if (span?.isRecording() === true) {
      failed.add(request)
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
      span.recordException(error)
    }
    done()
  })

  // One hook ends it, when the answer is complete (as the access-log line and the histogram).
  fastify.addHook('onResponse', function endServerSpan (req, reply, done) {
    const request = req as Traced
    const span = request[kSpan]
    if (span !== null) endSpan(request, span, reply)
    done()
  })
}

/**
 * Server spans for every Fastify instance created from now on (the service creates one), through
 * Fastify's `fastify.initialization` channel. Returns the unsubscribe.
 */
export function traceServerRequests (options: ServerSpanOptions): () => void {
  const initialization = channel('fastify.initialization')
  const onInitialization = (message: unknown) => addServerSpanHooks((message as { fastify: FastifyInstance }).fastify, options)
  initialization.subscribe(onInitialization)
  return () => initialization.unsubscribe(onInitialization)
}
