import { Writable } from 'node:stream'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace'
import { addServerSpanHooks, isUntraced, spanName } from '../../telemetry/server-spans.ts'
import { bindTraceIds, traceIdsMixin } from '../../telemetry/log-trace-ids.ts'

// The server spans and the trace ids of log lines with the SDK's real tracer, sampler and
// context manager, on a Fastify instance answering by inject: what telemetry/sdk.ts wires up.
const TRACE = '0af7651916cd43dd8448eb211c80319c'
const PARENT = 'b7ad6b7169203331'
const exporter = new InMemorySpanExporter()
// Sampled by the caller's flag; a request with no traceparent is sampled too (ratio 1).
const provider = new TracerProvider({ sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }), spanProcessors: [new SimpleSpanProcessor({ exporter })] })
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
const options = { untraced: /^\/(health|docs(\/.*)?)$/, untracedFirstChars: 'hd', traceIdsInLogs: true, tracer: provider.getTracer('test') }

t.test('spanName and isUntraced', async (t) => {
  t.equal(spanName('GET', '/api/users/:id'), 'GET /api/users/:id')
  t.equal(spanName('GET', undefined), 'GET', 'no route matched: the method alone')
  t.ok(isUntraced('/health', options))
  t.ok(isUntraced('/docs/json', options))
  t.notOk(isUntraced('/api/health', options), 'a first segment the regex does not match')
  t.notOk(isUntraced('/hello', options), 'a first character in the set, a path the regex does not match')
})

interface App { app: FastifyInstance, lines: Array<Record<string, unknown>>, raw: string[] }

async function app (t: Pick<typeof import('tap').default, 'teardown'>): Promise<App> {
  const lines: Array<Record<string, unknown>> = []
  const raw: string[] = []
  const stream = new Writable({ write (chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) { raw.push(l); lines.push(JSON.parse(l)) } done() } })
  const fastify = Fastify({ logger: { level: 'info', stream, ...traceIdsMixin } })
  addServerSpanHooks(fastify, options)
  fastify.get('/api/users/:id', async (request) => {
    fastify.log.info('through fastify.log')
    request.log.info('through request.log')
    // Out of the request's context (as a callback a driver runs from another's): the bindings hold.
    context.with(ROOT_CONTEXT, () => request.log.info('through request.log, out of context'))
    return { id: (request.params as { id: string }).id }
  })
  fastify.get('/fails', async () => { throw new Error('broken') })
  fastify.get('/five-hundred', async (_request, reply) => reply.code(503).send({ no: true }))
  fastify.get('/health', async () => ({ ok: true }))
  await fastify.ready()
  t.teardown(() => fastify.close())
  exporter.reset()
  return { app: fastify, lines, raw }
}

t.test('a sampled request: a server span named by method and route, child of the caller, with its attributes; its ids on every line', async (t) => {
  const { app: fastify, lines, raw } = await app(t)
  const res = await fastify.inject({ url: '/api/users/7?x=1', headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })
  t.equal(res.statusCode, 200)
  const [span] = exporter.getFinishedSpans()
  t.equal(span.name, 'GET /api/users/:id')
  t.equal(span.kind, 1, 'SpanKind.SERVER')
  t.equal(span.spanContext().traceId, TRACE, 'continues the caller\'s trace')
  t.equal(span.parentSpanContext?.spanId, PARENT, 'child of the caller\'s span')
  t.same(span.attributes, { 'http.request.method': 'GET', 'url.path': '/api/users/7', 'url.query': 'x=1', 'http.route': '/api/users/:id', 'http.response.status_code': 200 })
  const during = lines.filter((l) => /through/.test(String(l.msg)))
  t.equal(during.length, 3)
  for (const line of during) {
    t.equal(line.trace_id, TRACE, `${line.msg}: trace_id`)
    t.equal(line.span_id, span.spanContext().spanId, `${line.msg}: the server span's id`)
    t.equal(line.trace_flags, '01')
  }
  t.same(raw.filter((l) => /through/.test(l)).map((l) => l.split('"trace_id"').length - 1), [1, 1, 1], 'each line has its trace_id once')
})

t.test('a request the caller did not sample: no span exported, its ids still on its lines', async (t) => {
  const { app: fastify, lines } = await app(t)
  await fastify.inject({ url: '/api/users/7', headers: { traceparent: `00-${TRACE}-${PARENT}-00` } })
  t.same(exporter.getFinishedSpans(), [])
  const line = lines.find((l) => l.msg === 'through request.log')
  t.equal(line?.trace_id, TRACE)
  t.equal(line?.trace_flags, '00')
})

t.test('errors: a thrown error sets ERROR with its message and an exception event; a 5xx that did not throw, ERROR', async (t) => {
  const { app: fastify } = await app(t)
  await fastify.inject('/fails')
  await fastify.inject('/five-hundred')
  const [failed, refused] = exporter.getFinishedSpans()
  t.same(failed.status, { code: 2, message: 'broken' })
  t.equal(failed.events[0]?.name, 'exception')
  t.equal(failed.attributes['http.response.status_code'], 500)
  t.same(refused.status, { code: 2 })
  t.equal(refused.attributes['http.response.status_code'], 503)
})

t.test('no traceparent: a new trace; no route: named by the method; untraced paths: no span, no ids; outside requests: no ids', async (t) => {
  const { app: fastify, lines } = await app(t)
  await fastify.inject('/api/users/1')
  await fastify.inject('/nowhere')
  await fastify.inject('/health')
  const spans = exporter.getFinishedSpans()
  t.same(spans.map((s) => s.name), ['GET /api/users/:id', 'GET'])
  t.notOk(spans[0].parentSpanContext, 'a root span')
  t.notSame(spans[0].spanContext().traceId, TRACE)
  t.equal(spans[1].attributes['http.response.status_code'], 404)
  fastify.log.info('outside')
  t.notOk(lines.find((l) => l.msg === 'outside')?.trace_id, 'a line outside any request has no trace id')
  t.notOk(lines.filter((l) => l.url === '/health').some((l) => l.trace_id), 'an untraced request\'s lines have none')
})

t.test('the mixin leaves a line\'s own fields alone and never shares its object', async (t) => {
  const { mixin, mixinMergeStrategy } = traceIdsMixin
  const none = mixin!({}, 30, {} as never)
  const merged = mixinMergeStrategy!({ a: 1 }, none)
  t.same(merged, { a: 1 })
  t.same(none, {}, 'the shared empty object is not merged into')
  const span = trace.wrapSpanContext({ traceId: TRACE, spanId: PARENT, traceFlags: 1 })
  const fields = context.with(trace.setSpan(context.active(), span), () => mixin!({}, 30, {} as never))
  t.same(mixinMergeStrategy!({ trace_id: 'own' }, fields), { trace_id: 'own', span_id: PARENT, trace_flags: '01' }, 'the line\'s own field wins')
})

t.test('a logger whose bindings are not this pino\'s text gets the ids through setBindings, and the mixin adds none again', async (t) => {
  const set: Array<Record<string, string>> = []
  const other = { setBindings: (bindings: Record<string, string>) => { set.push(bindings) } }
  const spanContext = { traceId: TRACE, spanId: PARENT, traceFlags: 1 }
  bindTraceIds(other as never, spanContext)
  t.same(set, [{ trace_id: TRACE, span_id: PARENT, trace_flags: '01' }])
  const span = trace.wrapSpanContext(spanContext)
  t.same(context.with(trace.setSpan(context.active(), span), () => traceIdsMixin.mixin!({}, 30, other as never)), {}, 'no second set of ids on its lines')
  bindTraceIds(other as never, { traceId: '0'.repeat(32), spanId: PARENT, traceFlags: 1 })
  t.equal(set.length, 1, 'an invalid span context binds nothing')
})

t.test('RequestContext holds the span as trace.setSpan would, and behaves as a context for every other key', async (t) => {
  const { RequestContext } = await import('../../telemetry/server-spans.ts')
  const { createContextKey, ROOT_CONTEXT } = await import('@opentelemetry/api')
  const key = createContextKey('other')
  const parent = ROOT_CONTEXT.setValue(key, 'kept')
  const span = trace.wrapSpanContext({ traceId: TRACE, spanId: PARENT, traceFlags: 1 })
  const ctx = new RequestContext(parent, span)
  t.equal(trace.getSpan(ctx), span, 'the API finds the span under its own key')
  t.equal(ctx.getValue(key), 'kept', 'the parent\'s values')
  const more = ctx.setValue(createContextKey('more'), 1)
  t.equal(trace.getSpan(more), span, 'a context set from it keeps the span')
  t.equal(more.getValue(key), 'kept')
  t.equal(trace.getSpan(trace.deleteSpan(ctx)), undefined, 'deleting the span')
  t.equal(trace.getSpan(ctx.deleteValue(key)), span, 'deleting another key keeps the span')
  t.equal(ctx.deleteValue(key).getValue(key), undefined)
})

t.test('a client that hangs up before the answer: the span ends all the same, aborted', async (t) => {
  const { createConnection } = await import('node:net')
  const { setTimeout: sleep } = await import('node:timers/promises')
  const fastify = Fastify({ logger: false })
  addServerSpanHooks(fastify, options)
  let answered!: () => void
  const handled = new Promise<void>((resolve) => { answered = resolve })
  fastify.get('/slow', async () => { await sleep(300); answered(); return { ok: true } })
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => fastify.close())
  exporter.reset()
  const socket = createConnection((fastify.server.address() as { port: number }).port, '127.0.0.1')
  socket.on('error', () => {})
  socket.write(`GET /slow HTTP/1.1\r\nhost: x\r\ntraceparent: 00-${TRACE}-${PARENT}-01\r\n\r\n`)
  await sleep(50)
  socket.destroy()
  await handled
  for (let i = 0; i < 100 && exporter.getFinishedSpans().length === 0; i++) await sleep(20)
  const [span] = exporter.getFinishedSpans()
  t.equal(span?.name, 'GET /slow', 'exported')
  t.equal(span?.attributes['error.type'], 'aborted')
  t.equal(span?.attributes['http.response.status_code'], undefined, 'no status: nothing was answered')
})

t.test('B3: a caller\'s multi-header context is continued whatever form the propagator injects', async (t) => {
  const { B3Propagator, B3InjectEncoding } = await import('@opentelemetry/propagator-b3')
  propagation.disable()
  propagation.setGlobalPropagator(new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }))
  t.teardown(() => { propagation.disable(); propagation.setGlobalPropagator(new W3CTraceContextPropagator()) })
  const { app: fastify } = await app(t)
  await fastify.inject({ url: '/api/users/1', headers: { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT, 'x-b3-sampled': '1' } })
  await fastify.inject({ url: '/api/users/2', headers: { b3: `${TRACE}-${PARENT}-1` } })
  t.same(exporter.getFinishedSpans().map((s) => [s.spanContext().traceId, s.parentSpanContext?.spanId]), [[TRACE, PARENT], [TRACE, PARENT]])
})

t.test('logger: false (abstract-logging, no bindings): requests are served', async (t) => {
  const fastify = Fastify({ logger: false })
  addServerSpanHooks(fastify, options)
  fastify.get('/', async () => ({ ok: true }))
  t.teardown(() => fastify.close())
  t.equal((await fastify.inject('/')).statusCode, 200)
})
