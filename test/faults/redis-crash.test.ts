import { setTimeout as sleep } from 'node:timers/promises'
import { serverTests } from '../helpers/app.ts'
import { testDatabaseUrl } from '../helpers/database.ts'
import { exitCode, serve } from '../helpers/processes.ts'
import { OwnRedis } from '../helpers/own-servers.ts'
import { MixedLoad } from '../helpers/load.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

async function counter (base: string): Promise<{ status: number, counter?: number }> {
  const res = await fetch(`${base}/api/cache-test`)
  const body = await res.json() as { counter?: number }
  return { status: res.status, counter: body.counter }
}

t.test('Redis crashes under load: only /api/cache-test answers 503, the rest serves, and the counter continues once Redis is back', async (t) => {
  const redis = await OwnRedis.create()
  t.teardown(() => redis.destroy())
  await redis.start()
  const server = await serve(t, { DATABASE_URL: await testDatabaseUrl(), REDIS_URL: redis.url() })
  const { base } = server

  const load = new MixedLoad(base, 16)
  load.start()
  await sleep(1_000)
  const before = await counter(base)
  t.equal(before.status, 200)
  await redis.kill()
  await sleep(500)

  const started = Date.now()
  const down = await counter(base)
  t.equal(down.status, 503, '/api/cache-test answers 503 while Redis is down')
  t.ok(Date.now() - started < 5_000, `promptly (${Date.now() - started} ms): bounded by the 1 s command timeout, not hung`)
  for (const path of ['/', '/api/users', '/api/stats', '/api/info', '/health/live']) {
    t.equal((await fetch(`${base}${path}`)).status, 200, `${path} unaffected`)
  }
  // Readiness comes from the background check: it says so within a second or two.
  let health = await fetch(`${base}/health`)
  for (let i = 0; i < 300 && health.status !== 503; i++) {
    await sleep(50)
    health = await fetch(`${base}/health`)
  }
  t.equal(health.status, 503)
  t.match(await health.json() as object, { status: 'degraded', checks: { database: 'connected', redis: 'disconnected' } })
  await sleep(1_000)

  await redis.start()
  const back = Date.now()
  let after = await counter(base)
  while (after.status !== 200 && Date.now() - back < 30_000) {
    await sleep(50)
    after = await counter(base)
  }
  t.equal(after.status, 200)
  t.comment(`serving again ${Date.now() - back} ms after Redis came back`)
  t.ok((after.counter as number) > (before.counter as number), `the counter continues: ${before.counter} before, ${after.counter} after`)
  const result = await load.stop()

  t.equal(server.child.exitCode, null, 'the process did not crash')
  t.equal(result.errors, 0, 'every request was answered')
  t.same(Object.keys(result.byStatus).filter((s) => ![200, 201, 503].includes(Number(s))), [], `only 200, 201 and 503: ${JSON.stringify(result.byStatus)}`)
  t.ok(result.maxLatencyMs < 6_000, `slowest answer ${result.maxLatencyMs} ms: bounded by the command timeout, with room for a loaded machine`)
  server.child.kill('SIGTERM')
  const code = await exitCode(server.child)
  t.equal(code, 0)
})
