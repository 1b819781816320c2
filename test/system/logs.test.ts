// The production log destination, on the production entry: lines reach standard output as they
// are logged, not once a buffer has filled or at shutdown.
import { testServers } from '../setup/servers.ts'
import { eventually, serverTests } from '../helpers/app.ts'
import { keyPrefix, testDatabaseUrl } from '../helpers/database.ts'
import { serve } from '../helpers/processes.ts'

const t = serverTests()

t.test('in production a quiet service\'s lines are written at once, and a kill loses none of them', async (t) => {
  const server = await serve(t, { NODE_ENV: 'production', DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl, REDIS_KEY_PREFIX: keyPrefix })
  t.match(server.output(), /"msg":"Server listening at /, 'the start-up lines are out before any traffic')
  const res = await fetch(`${server.base}/no-such-route-${process.pid}`)
  t.equal(res.status, 404)
  t.ok(await eventually(() => server.output().includes(`/no-such-route-${process.pid}`), 2_000), 'one request\'s access-log line is out within 2 s')
  server.child.kill('SIGKILL')
  await new Promise((resolve) => server.child.once('exit', resolve))
  t.match(server.output(), /"statusCode":404/, 'and is there after a SIGKILL')
})

t.test('in production a burst of requests at 64 connections writes every access-log line whole: none dropped, split or merged', async (t) => {
  const server = await serve(t, { NODE_ENV: 'production', DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl, REDIS_KEY_PREFIX: keyPrefix })
  // Lines logged while a write is pending coalesce, up to the destination's maxWrite per write (app.ts).
  const tag = `burst-${process.pid}`
  const total = 3_000
  let next = 0
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < total) {
      const res = await fetch(`${server.base}/${tag}/${next++}`)
      await res.arrayBuffer()
    }
  }))
  const lines = () => server.output().split('\n').filter((line) => line.includes(tag))
  t.ok(await eventually(() => lines().length >= total, 15_000), `${total} access-log lines out`)
  const seen = lines().map((line) => Number(/\/(\d+)$/.exec((JSON.parse(line) as { url: string }).url)?.[1]))
  t.equal(seen.length, total, 'one line per request')
  t.equal(new Set(seen).size, total, 'each request\'s own, every line valid JSON')
  const line = JSON.parse(lines()[0] as string) as Record<string, unknown>
  t.match(line, { msg: 'request completed', method: 'GET', statusCode: 404, ip: '127.0.0.1', reqId: String }, 'the access-log line\'s fields')
  t.ok(lines().every((text) => { const ms = (JSON.parse(text) as { responseTime: number }).responseTime; return ms >= 0 && Math.round(ms * 1000) / 1000 === ms }), 'responseTime in ms, to the microsecond')
})

t.test('the start-up log names the database host and name and the Redis host, never a password', async (t) => {
  const url = new URL(await testDatabaseUrl())
  url.password = 'not-to-be-logged'
  const redis = new URL(testServers().redisUrl)
  const server = await serve(t, { DATABASE_URL: url.toString(), REDIS_URL: redis.toString(), REDIS_PASSWORD: 'neither-this', REDIS_KEY_PREFIX: keyPrefix }, { healthy: false })
  const lines = server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  t.match(lines.find((l) => l.msg === 'database: PostgreSQL, connecting in the background'), { host: url.hostname, database: url.pathname.slice(1), port: Number(url.port) })
  t.match(lines.find((l) => l.msg === 'cache: Redis, connecting in the background'), { host: redis.hostname, port: Number(redis.port) })
  t.notMatch(server.output(), /not-to-be-logged|neither-this/, 'no password')
})
