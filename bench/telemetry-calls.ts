// `npm run bench:telemetry-calls`: what each part of telemetry's per-request path costs, per
// call, the service's way beside the way it replaced (docs/decisions.md, "Telemetry: the request
// path's own costs"), with the SDK's real tracer, meter, sampler and context manager. Each pair
// runs in alternating rounds and the median round is kept: on a shared VM whose speed moves by 2×
// within minutes, a pair measured side by side is what can be compared; the absolute ns are this
// machine's.
import { Writable } from 'node:stream'
import { context, propagation, ROOT_CONTEXT, trace, type Span } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace'
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino'
import pino from 'pino'
import { DURATION_BUCKETS, RequestDurations } from '../telemetry/request-durations.ts'
import { RequestContext } from '../telemetry/server-spans.ts'
import { bindTraceIds, traceIdsMixin } from '../telemetry/log-trace-ids.ts'
import { bound } from '../telemetry/sdk.ts'

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
const tracer = new TracerProvider({ sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }) }).getTracer('bench')
const ROUNDS = 9
const N = 100_000

function time (fn: (i: number) => void): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < N; i++) fn(i)
  return Number(process.hrtime.bigint() - start) / N
}

/** ns per call of each, in alternating rounds: the median round. */
function pair (name: string, before: [string, (i: number) => void], after: [string, (i: number) => void]): string {
  for (let i = 0; i < 2; i++) { time(before[1]); time(after[1]) } // warm-up: optimised code
  const a: number[] = []
  const b: number[] = []
  for (let r = 0; r < ROUNDS; r++) { a.push(time(before[1])); b.push(time(after[1])) }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[ROUNDS >> 1]
  const [ma, mb] = [median(a), median(b)]
  return `| ${name} | ${before[0]} | ${ma.toFixed(0)} | ${after[0]} | ${mb.toFixed(0)} | ${(ma - mb).toFixed(0)} |`
}

const sink = () => new Writable({ write (_c, _e, done) { done() } })
const rows: string[] = []

// The request-duration histogram.
class Reader extends MetricReader { protected async onForceFlush () {} protected async onShutdown () {} }
const histogram = new MeterProvider({ readers: [new Reader()] }).getMeter('bench').createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } })
const cells = new RequestDurations()
const routes = ['/', '/api/users', '/api/users/:id', '/api/info']
rows.push(pair('histogram record (4 attributes)',
  ['SDK histogram.record', (i) => histogram.record(0.001 * (i & 7), { 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.scheme': 'http', 'http.route': routes[i & 3] })],
  ['RequestDurations.record', (i) => cells.record('GET', routes[i & 3], 200, 0.001 * (i & 7))]))

// The server span of a request that is not sampled: what @fastify/otel did before the sampler
// decided (extract with no traceparent, four attributes) against starting it bare.
const headers = { host: 'localhost', 'user-agent': 'bench', accept: '*/*' }
rows.push(pair('unsampled server span',
  ['extract + 4 attributes + startSpan', (i) => tracer.startSpan('request', { attributes: { 'fastify.root': '@fastify/otel', 'http.request.method': 'GET', 'url.path': routes[i & 3], 'http.route': routes[i & 3] }, kind: 1 }, propagation.extract(context.active(), headers)).end()],
  ['header check + startSpan', () => tracer.startSpan('GET', { kind: 1 }, (headers as Record<string, string>).traceparent === undefined ? context.active() : propagation.extract(context.active(), headers)).end()]))

// Results kept, so that the optimiser cannot drop an allocation nothing reads.
const kept: unknown[] = new Array(1024)
const span = tracer.startSpan('GET') as Span
rows.push(pair('the request\'s context',
  ['trace.setSpan (BaseContext)', (i) => { kept[i & 1023] = trace.setSpan(ROOT_CONTEXT, span) }],
  ['new RequestContext', (i) => { kept[i & 1023] = new RequestContext(ROOT_CONTEXT, span) }]))

// A driver's callback bound to the caller's context.
const callback = (a: unknown) => a
rows.push(pair('binding a driver callback',
  ['context.bind', (i) => { kept[i & 1023] = context.bind(ROOT_CONTEXT, callback) }],
  ['bound (closure)', (i) => { kept[i & 1023] = bound(ROOT_CONTEXT, callback) }]))

// Trace ids on the access-log line: the pino instrumentation's mixin (the active span read,
// validated, an object per line) against ids bound on the request's logger once.
const mixin = (new PinoInstrumentation({ disableLogSending: true }) as unknown as { _getMixinFunction (): () => object })._getMixinFunction()
const withMixin = pino({ mixin }, sink())
const withBindings = pino(traceIdsMixin, sink())
const active = trace.setSpan(ROOT_CONTEXT, span)
const line = { method: 'GET', url: '/api/users', statusCode: 200, ip: '127.0.0.1', responseTime: 0.42 }
rows.push(pair('a request\'s child logger and its access-log line',
  ['child + line with the mixin', () => context.with(active, () => withMixin.child({ reqId: 'abc' }).info(line, 'request completed'))],
  ['child + ids bound + line', () => context.with(active, () => { const log = withBindings.child({ reqId: 'abc' }); bindTraceIds(log, span.spanContext()); log.info(line, 'request completed') })]))
const boundLog = withBindings.child({ reqId: 'abc' })
bindTraceIds(boundLog, span.spanContext())
const mixinLog = withMixin.child({ reqId: 'abc' })
rows.push(pair('one more line from the same logger',
  ['with the mixin', () => context.with(active, () => mixinLog.info(line, 'more'))],
  ['ids bound', () => context.with(active, () => boundLog.info(line, 'more'))]))

console.log([
  `Telemetry's request path, per call (${process.version}, median of ${ROUNDS} alternating rounds of ${N.toLocaleString('en')} calls):`, '',
  '| part | before | ns | now | ns | saved ns |', '|---|---|---:|---|---:|---:|', ...rows
].join('\n'))
