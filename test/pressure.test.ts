import { setTimeout as sleep } from 'node:timers/promises'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import fp from 'fastify-plugin'
import Fastify, { type FastifyInstance } from 'fastify'
import serviceApp, { serverOptions } from '../app.ts'
import { build, serverTests, testConfig, until200 } from './helpers/app.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

t.test('a saturated event loop answers 503 with Retry-After, and recovers when the load ends', async (t) => {
  const app = await build(t, { MAX_EVENT_LOOP_DELAY_MS: '500' })
  t.equal((await until200(app, '/', 30_000)).statusCode, 200, 'serving once start-up work is done')

  // Saturate the loop as sustained CPU-bound work would: 1 s blocks with barely a breath
  // between them, across several of under-pressure's 250 ms samples.
  for (let i = 0; i < 4; i++) {
    const until = Date.now() + 1_000
    while (Date.now() < until) { /* busy */ }
    await sleep(1)
  }

  const res = await app.inject({ method: 'GET', url: '/' })
  t.equal(res.statusCode, 503)
  t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After is set')
  t.match(res.json(), { statusCode: 503, error: 'Service Unavailable' })
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'liveness is not failed by pressure')

  t.equal((await until200(app, '/', 30_000)).statusCode, 200, 'serving again once the loop is free')
})

/** Holds the event loop as CPU-bound work would, then lets under-pressure's sample timer run. */
async function saturate (ms: number): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) { /* busy */ }
  await sleep(1)
}

/**
 * Saturates the loop, at least once and until under-pressure has seen it (a sample taken wholly
 * inside a block). At least once: the guard's flag stays set until its next sample, and a request
 * sent on a flag left from before is not sent into an overloaded loop.
 */
async function overload (app: { isUnderPressure (): boolean }): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await saturate(400)
    if (app.isUnderPressure()) return
  }
}

/**
 * The answer to `request` sent into an overloaded loop. The guard rightly serves it when a sample
 * of the free loop lands between the overload and the request (a loaded machine), and when it
 * comes within the start-up grace (lib/startup-grace.ts: two sampling periods after ready, which
 * one overload right after start-up is): the loop is overloaded again, up to 5 times, until the
 * answer is an error (which the test checks).
 */
async function underPressure<T extends { statusCode: number }> (app: { isUnderPressure (): boolean }, request: () => Promise<T>): Promise<T> {
  let res: T | undefined
  for (let attempt = 0; attempt < 5 && (res === undefined || res.statusCode < 500); attempt++) {
    await overload(app)
    res = await request()
  }
  return res!
}

t.test('under pressure, every route of the OpenAPI document answers 503 in the error shape with Retry-After, never 500', async (t) => {
  // The routes that opt out of the guard (a pressureHandler of their own: the probes), read from
  // the router as the routes are added: Fastify publishes each new instance on this channel.
  const exempt = new Set<string>()
  const collect = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => {
      if (route.config && 'pressureHandler' in route.config) for (const method of [route.method].flat()) exempt.add(`${method} ${route.url}`)
    })
  }
  subscribe('fastify.initialization', collect)
  const app = await build(t, { MAX_EVENT_LOOP_DELAY_MS: '200' }).finally(() => unsubscribe('fastify.initialization', collect))
  t.ok(exempt.has('GET /health/live'), `exempt: ${[...exempt].join(', ')}`)
  t.equal((await until200(app, '/', 30_000)).statusCode, 200, 'serving once start-up work is done')
  await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'pressured' } })
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> }
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path, url: path.replace(/\{[^}]+\}/g, '1') })))
  t.ok(operations.length >= 8, `${operations.length} operations`)
  for (const { method, path, url } of operations) {
    const request = () => app.inject({ method: method as 'GET', url, ...(method === 'POST' ? { payload: { username: `p${Date.now()}` } } : {}) })
    if (exempt.has(`${method} ${path.replace(/\{([^}]+)\}/g, ':$1')}`)) {
      await overload(app)
      t.equal((await request()).statusCode, 200, `${method} ${url} opts out of the guard: served`)
      continue
    }
    const res = await underPressure(app, request)
    t.equal(res.statusCode, 503, `${method} ${url}`)
    t.ok(Number(res.headers['retry-after']) > 0, `${method} ${url}: Retry-After`)
    t.same(res.json(), { statusCode: 503, error: 'Service Unavailable', message: 'The service is overloaded; try again shortly' }, `${method} ${url}: the error shape`)
  }
})

t.test('the first requests after start-up are served: the start-up\'s own delay is not pressure', async (t) => {
  const config = await testConfig({ MAX_EVENT_LOOP_DELAY_MS: '200' })
  const app = Fastify(serverOptions(config))
  t.teardown(() => app.close())
  await app.register(fp(serviceApp), { config })
  // Start-up work that holds the loop (compiling schemas, the embedded database's start).
  await app.register(async () => { await saturate(1_500) })
  await app.ready()
  const answers = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'GET', url: '/api/info' })))
  t.same(answers.map((r) => r.statusCode), [200, 200, 200, 200, 200])
  // and real saturation afterwards still answers 503
  await sleep(600)
  t.equal((await underPressure(app, () => app.inject({ method: 'GET', url: '/api/info' }))).statusCode, 503, 'saturation after start-up is pressure')
})

t.test('a 503 from the guard is logged as one line without a stack', async (t) => {
  const lines: string[] = []
  const app = await build(t, { MAX_EVENT_LOOP_DELAY_MS: '200', LOG_LEVEL: 'warn' }, undefined, { write: (line: string) => lines.push(line) })
  await until200(app, '/', 30_000)
  lines.length = 0
  t.equal((await underPressure(app, () => app.inject({ method: 'GET', url: '/api/info' }))).statusCode, 503)
  const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.level >= 40)
  t.equal(logged.length, 1, 'one line')
  t.match(logged[0], { level: 40, msg: 'overloaded: answered 503', pressure: 'eventLoopDelay' })
  t.notMatch(lines.join(''), /"stack"/, 'no stack')
})
