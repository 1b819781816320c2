// OpenTelemetry end to end: the service as the image runs it (telemetry/preload.ts first), exporting to
// an OTLP/HTTP receiver that this test runs (test/helpers/otlp-receiver.ts).
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { eventually, serverTests } from '../helpers/app.ts'
import { keyPrefix, testDatabaseUrl } from '../helpers/database.ts'
import { serve, startServer } from '../helpers/processes.ts'
import { testServers } from '../setup/servers.ts'
import { OtlpReceiver } from '../helpers/otlp-receiver.ts'
import { freePort } from '../../deploy/nginx/local.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`

/** The service on the run's servers, with `env` (its telemetry variables) on top. */
async function serviceEnv (env: Record<string, string>) {
  return { DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl, REDIS_KEY_PREFIX: `${keyPrefix}otel:`, ...env }
}

/** Traces and metrics over OTLP/HTTP to `endpoint`, exported within a fraction of a second. */
function telemetryEnv (endpoint: string, extra: Record<string, string> = {}) {
  return serviceEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'otel-test',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    ...extra
  })
}

const logLines = (output: string) => output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))

t.test('a request with a traceparent: one trace, its SQL and Redis commands as child spans, its log lines carry the trace id', async (t) => {
  const receiver = new OtlpReceiver()
  const app = await serve(t, await telemetryEnv(await receiver.start()))
  t.teardown(() => receiver.stop())

  const headers = { traceparent: TRACEPARENT }
  t.equal((await fetch(`${app.base}/api/users`, { headers })).status, 200)
  t.equal((await fetch(`${app.base}/api/cache-test`, { headers })).status, 200)

  const inTrace = () => receiver.spans.filter((s) => s.traceId === TRACE_ID)
  // A request's server span ends last (once its answer is written), after its SQL and Redis
  // spans: the span queue exports in that order, so once both server spans are in, all are.
  t.ok(await eventually(() => inTrace().filter((s) => s.kind === 2).length === 2 && inTrace().some((s) => s.scope.includes('ioredis')) && inTrace().some((s) => s.scope.includes('pg'))), 'spans exported')
  const spans = inTrace()
  const servers = spans.filter((s) => s.kind === 2)
  t.equal(servers.length, 2, 'one server span per request')
  for (const server of servers) t.equal(server.parentSpanId, PARENT_ID, `${server.name}: child of the caller's span`)
  t.same(servers.map((s) => s.name).sort(), ['GET /api/cache-test', 'GET /api/users'], 'named by method and route template')

  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const serverOf = (span: typeof spans[number]) => {
    let at: typeof span | undefined = span
    while (at && at.kind !== 2) at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined
    return at?.name
  }
  const sql = spans.filter((s) => s.scope.includes('instrumentation-pg') && s.name.startsWith('pg.query'))
  t.ok(sql.length >= 1, `SQL spans: ${sql.map((s) => s.name).join(', ')}`)
  t.match(sql[0].attributes['db.query.text'], /SELECT .* FROM users/, 'with the statement (parameters apart)')
  t.same([...new Set(sql.map(serverOf))], ['GET /api/users'], 'under the request that ran them')
  const redis = spans.filter((s) => s.scope.includes('ioredis'))
  t.same(redis.map((s) => s.name).sort(), ['exec', 'expire', 'incr', 'multi'], 'the Redis commands of the cache test')
  t.same([...new Set(redis.map(serverOf))], ['GET /api/cache-test'], 'under the request that sent them')

  const lines = logLines(app.output()).filter((l) => l.msg === 'request completed' && /^\/api\/(users|cache-test)$/.test(l.url))
  t.equal(lines.length, 2, 'both access-log lines')
  for (const line of lines) {
    t.equal(line.trace_id, TRACE_ID, `${line.url}: trace_id`)
    t.ok(spans.some((s) => s.spanId === line.span_id), `${line.url}: span_id of one of the request's spans`)
  }
  const outside = logLines(app.output()).filter((l) => l.msg === 'Server listening at ' + app.base)
  t.notOk(outside[0]?.trace_id, 'a line written outside any request has no trace id')
})

t.test('sampled and unsampled requests on one pooled connection: SQL and Redis spans only in the sampled traces, each under its own request', async (t) => {
  // One connection for every request and for the visit batches (every 10 ms, or as 5 visits
  // are buffered by a request's answer): each waits for the one before it to release it, so a
  // statement run from the pool's callback would land in the releasing request's trace if the
  // callback were not bound to its own caller, and a batch is never part of a request's trace.
  // Requests not sampled make no SQL or Redis span.
  const receiver = new OtlpReceiver()
  const app = await serve(t, await telemetryEnv(await receiver.start(), { DB_POOL_MAX: '1', VISITS_FLUSH_INTERVAL_MS: '10', VISITS_BATCH_SIZE: '5' }))
  t.teardown(() => receiver.stop())
  const ids = Array.from({ length: 200 }, (_, i) => ({ traceId: `${'b'.repeat(24)}${(i + 1).toString(16).padStart(8, '0')}`, sampled: i % 2 === 0, path: i % 4 < 2 ? '/api/users' : '/api/cache-test' }))
  const statuses = await Promise.all(ids.map(async ({ traceId, sampled, path }) => {
    const res = await fetch(`${app.base}${path}`, { headers: { traceparent: `00-${traceId}-${PARENT_ID}-${sampled ? '01' : '00'}` } })
    await res.arrayBuffer()
    return res.status
  }))
  t.same(new Set(statuses), new Set([200]), 'every request answered 200')

  const sampled = ids.filter((r) => r.sampled)
  const traced = (id: string) => receiver.spans.filter((s) => s.traceId === id)
  // Each trace's server span ends last, after its commands' spans, and the span queue exports in
  // that order: once a trace's server span is in, its other spans are (200 requests make more
  // spans than one export batch, so a trace can arrive over two).
  t.ok(await eventually(() => sampled.every((r) => traced(r.traceId).some((s) => s.kind === 2) && traced(r.traceId).some((s) => s.scope.includes(r.path === '/api/users' ? 'instrumentation-pg' : 'ioredis')))), 'every sampled request exported with its commands')
  // Each sampled trace as a lone request makes it: its server span, and GET /api/users one
  // statement (pg.query:users-list-first), GET /api/cache-test its four Redis commands. Anything
  // more is another request's or a visit batch's.
  const wrong: string[] = []
  for (const { traceId, path } of sampled) {
    const names = traced(traceId).filter((s) => s.kind === 2 || s.name.startsWith('pg.query') || s.scope.includes('ioredis')).map((s) => s.name.split(' ')[0]).sort()
    const expected = path === '/api/users' ? ['GET', 'pg.query:users-list-first'] : ['GET', 'exec', 'expire', 'incr', 'multi']
    if (JSON.stringify(names) !== JSON.stringify(expected)) wrong.push(`${path} ${traceId}: ${names.join(', ')}`)
  }
  t.same(wrong, [], `each of the ${sampled.length} sampled traces holds its own request's spans, and no other`)
  const unsampled = new Set(ids.filter((r) => !r.sampled).map((r) => r.traceId))
  t.same(receiver.spans.filter((s) => unsampled.has(s.traceId)).map((s) => s.name), [], 'no span from a request that was not sampled')
  const lines = logLines(app.output()).filter((l) => l.msg === 'request completed' && unsampled.has(l.trace_id))
  t.equal(lines.length, unsampled.size, 'the access-log lines of unsampled requests carry their trace id too')
})

t.test('probes (the load balancer\'s /health/started too) and documentation make no spans; a request without traceparent starts its own trace', async (t) => {
  const receiver = new OtlpReceiver()
  const app = await serve(t, await telemetryEnv(await receiver.start(), { DOCS: 'true' }))
  t.teardown(() => receiver.stop())
  for (const path of ['/health', '/health/live', '/health/started', '/docs/json', '/docs/']) await (await fetch(`${app.base}${path}`)).arrayBuffer()
  await (await fetch(`${app.base}/api/info`)).arrayBuffer()
  t.ok(await eventually(() => receiver.spans.some((s) => s.name === 'GET /api/info')), 'the API request traced')
  // Exports are in order: the probes, sent before, would have arrived by now.
  const paths = receiver.spans.map((s) => String(s.attributes['url.path'] ?? s.attributes['http.route'] ?? ''))
  t.same(paths.filter((p) => /health|docs/.test(p)), [], 'no span for /health, /health/live, /health/started or /docs')
  const server = receiver.spans.find((s) => s.name === 'GET /api/info')
  t.notOk(server?.parentSpanId, 'a root span')
})

t.test('metrics: request duration by method, route and status, one series for a thousand user ids; pool, visits, readiness, event loop, memory', async (t) => {
  const receiver = new OtlpReceiver()
  const app = await serve(t, await telemetryEnv(await receiver.start()))
  t.teardown(() => receiver.stop())
  let id = 0
  const instance = await autocannon({ url: app.base, connections: 8, amount: 1000, requests: [{ setupRequest: (req) => ({ ...req, path: `/api/users/${++id}` }) }] })
  t.equal(id, 1000, 'a thousand different user ids')
  t.equal(instance.errors, 0, 'no error')
  await (await fetch(`${app.base}/api/users`)).arrayBuffer()

  const duration = () => receiver.metric('http.server.request.duration')
  t.ok(await eventually(() => duration().some((p) => p.attributes['http.route'] === '/api/users' && p.attributes['http.response.status_code'] === 200)), 'exported')
  const latest = new Map<string, (typeof receiver.points)[number]>()
  for (const p of duration()) latest.set(JSON.stringify(p.attributes), p)
  const byId = [...latest.values()].filter((p) => p.attributes['http.route'] === '/api/users/:id')
  t.equal(byId.length, 1, `one series for /api/users/:id: ${JSON.stringify(byId.map((p) => p.attributes))}`)
  t.ok(byId[0].value! >= 1000, `counting all ${byId[0].value} requests`)
  t.match(byId[0].attributes, { 'http.request.method': 'GET', 'http.response.status_code': 404 })
  for (const p of latest.values()) {
    t.notOk(Object.keys(p.attributes).some((k) => /url\.(path|full)|client|server\.address|user_agent/.test(k)), `no per-request attribute: ${Object.keys(p.attributes).join(', ')}`)
  }
  t.ok(latest.size <= 4, `${latest.size} series in all`)

  const has = (name: string, match: Record<string, unknown> = {}) => receiver.metric(name).some((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
  t.ok(await eventually(() => has('service.dependency.ready')), 'readiness exported')
  for (const state of ['used', 'idle']) t.ok(has('db.client.connection.count', { 'db.client.connection.state': state }), `pool: ${state} connections`)
  t.ok(has('db.client.connection.pending_requests'), 'pool: waiting requests')
  t.ok(has('visits.buffer.pending') && has('visits.dropped'), 'visit buffer: pending and dropped')
  const ready = receiver.metric('service.dependency.ready')
  t.same(new Set(ready.map((p) => p.attributes.dependency)), new Set(['database', 'redis']), 'readiness of both dependencies')
  t.equal(ready.at(-1)!.value, 1, 'ready')
  t.ok(has('nodejs.eventloop.delay.p99'), 'event-loop delay')
  t.ok(receiver.metric('process.memory.usage').at(-1)!.value! > 10_000_000, 'process memory (rss)')
})

t.test('OTEL_METRICS_EXPORTER=prometheus: /metrics on a port of its own, not the service\'s', async (t) => {
  const port = await freePort()
  const app = await serve(t, await serviceEnv({ OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(port) }))
  await (await fetch(`${app.base}/api/users`)).arrayBuffer()
  let text = ''
  t.ok(await eventually(async () => {
    text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    return /http_server_request_duration(_seconds)?_count\{[^}]*http_route="\/api\/users"/.test(text)
  }), 'request duration by route')
  t.match(text, /service_dependency_ready\{[^}]*dependency="database"[^}]*\} 1/, 'readiness')
  t.equal((await fetch(`${app.base}/metrics`)).status, 404, 'the service\'s own port does not serve it')
})

t.test('OTEL_METRICS_EXPORTER=prometheus without OTEL_EXPORTER_PROMETHEUS_HOST: /metrics on the service\'s address, not only localhost', async (t) => {
  // Another loopback address stands for the container's: the exporter's own default, localhost,
  // would not answer there (nor would a scraper outside the container reach it).
  const port = await freePort()
  const app = await serve(t, await serviceEnv({ HOST: '127.0.0.2', OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: String(port) }))
  t.match(app.base, /^http:\/\/127\.0\.0\.2:/)
  t.match(await (await fetch(`http://127.0.0.2:${port}/metrics`)).text(), /service_dependency_ready/, `/metrics on 127.0.0.2:${port}`)
})

t.test('a wrong OTEL_* value stops start-up, naming it', async (t) => {
  for (const [name, value] of [['OTEL_TRACES_SAMPLER', 'sometimes'], ['OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'pg,mongodb']]) {
    const server = await startServer({ DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl, [name]: value })
    t.teardown(() => { server.child.kill('SIGKILL') })
    t.notOk(server.url, `${name}: does not listen`)
    t.equal(server.child.exitCode, 1)
    t.match(server.output(), `${name}="${value}"`)
  }
})

t.test('OTEL_NODE_DISABLED_INSTRUMENTATIONS and _ENABLED_: only the instrumentations left start', async (t) => {
  const receiver = new OtlpReceiver()
  const app = await serve(t, await telemetryEnv(await receiver.start(), {
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'fastify, pino, pg',
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg'
  }))
  t.teardown(() => receiver.stop())
  const headers = { traceparent: TRACEPARENT }
  t.equal((await fetch(`${app.base}/api/users`, { headers })).status, 200)
  t.equal((await fetch(`${app.base}/api/cache-test`, { headers })).status, 200)
  // A request's SQL and Redis spans end before its server span, so they would be exported with it or before.
  const servers = () => receiver.spans.filter((s) => s.traceId === TRACE_ID && s.kind === 2)
  t.ok(await eventually(() => servers().length === 2), 'the server spans (fastify) exported')
  t.same(receiver.spans.filter((s) => /pg|ioredis/.test(s.scope)).map((s) => s.name), [], 'no SQL or Redis span: pg disabled, ioredis not enabled')
  const lines = logLines(app.output()).filter((l) => l.msg === 'request completed' && /^\/api\/(users|cache-test)$/.test(l.url))
  t.same(lines.map((l) => l.trace_id), [TRACE_ID, TRACE_ID], 'pino: the log lines still carry the trace id')
})

function rssMb (pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
}

for (const failure of ['stopped', 'error', 'hang'] as const) {
  t.test(`the collector ${failure === 'stopped' ? 'down' : failure === 'error' ? 'answering 500' : 'not answering'}: every request served, memory bounded, one warning`, async (t) => {
    const receiver = new OtlpReceiver()
    const endpoint = await receiver.start()
    if (failure === 'stopped') await receiver.stop()
    else receiver.mode = failure
    t.teardown(() => receiver.stop())
    // Every request sampled, and a span queue far smaller than the spans made: what does not fit
    // must be dropped, not kept. Exports time out after 1 s.
    // The heap bounded as in the image: what is kept beyond it ends the process.
    const app = await serve(t, await telemetryEnv(endpoint, { OTEL_BSP_MAX_QUEUE_SIZE: '512', OTEL_EXPORTER_OTLP_TIMEOUT: '1000', OTEL_METRIC_EXPORT_INTERVAL: '200', NODE_OPTIONS: '--max-semi-space-size=16 --max-old-space-size=256' }))
    const load = () => autocannon({ url: `${app.base}/api/users`, connections: 16, amount: 5000 })
    const warm = await load()
    const before = rssMb(app.child.pid!)
    const runs = [await load(), await load()]
    const after = rssMb(app.child.pid!)
    for (const run of [warm, ...runs]) {
      t.equal(run.errors, 0, 'no error')
      t.equal(run['2xx'], 5000, `${run['2xx']} of 5000 answered 2xx`)
    }
    // 10,000 requests make about 40,000 spans: kept, they would hold well over 50 MB.
    t.ok(after - before < 40, `rss ${before.toFixed(0)} -> ${after.toFixed(0)} MB over 10,000 more requests`)
    if (failure !== 'stopped') t.ok(receiver.requests > 0, `the collector was tried (${receiver.requests} exports)`)
    const warnings = logLines(app.output()).filter((l) => l.name === 'opentelemetry')
    t.ok(warnings.length >= 1 && warnings.length <= 2, `${warnings.length} warning(s) from the SDK: ${warnings[0]?.msg}`)
  })
}
