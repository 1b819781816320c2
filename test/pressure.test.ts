import { setTimeout as sleep } from 'node:timers/promises'
import { build, serverTests, until200 } from './helper.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

t.test('a saturated event loop answers 503 with Retry-After, and recovers when the load ends', async (t) => {
  const app = await build(t, { MAX_EVENT_LOOP_DELAY_MS: '500' })
  t.equal((await until200(app, '/')).statusCode, 200, 'serving once start-up work is done')

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

  t.equal((await until200(app, '/')).statusCode, 200, 'serving again once the loop is free')
})
