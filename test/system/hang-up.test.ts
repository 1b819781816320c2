// Clients that hang up early, on real sockets against the production entry: the case that once
// stopped visit recording for good (the address was read after the socket had closed).
import { setTimeout as sleep } from 'node:timers/promises'
import { testServers } from '../setup/servers.ts'
import { eventually, serverTests } from '../helpers/app.ts'
import { keyPrefix, query, testDatabaseUrl } from '../helpers/database.ts'
import { serve } from '../helpers/processes.ts'
import { hangUp } from '../helpers/load.ts'

const t = serverTests()

async function stats (base: string) {
  return (await fetch(`${base}/api/stats`)).json() as Promise<{ total_visits: number, pending_visits: number, dropped_visits: number }>
}

t.test('clients that hang up 0-10 ms after sending are counted, with their address, and recording goes on', async (t) => {
  const server = await serve(t, { DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl, REDIS_KEY_PREFIX: keyPrefix })
  const { port } = new URL(server.base)
  await fetch(`${server.base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"someone"}' })
  // 50 clients, 10 requests each, each closing its socket (RST or FIN) 0-10 ms after sending.
  const started = Date.now()
  await Promise.all(Array.from({ length: 50 }, async (_, client) => {
    for (let i = 0; i < 10; i++) await hangUp(Number(port), '/api/users?limit=100', (client + i) % 11, (client + i) % 2 === 0)
  }))
  t.comment(`500 requests hung up in ${Date.now() - started} ms`)
  // /api/stats is itself a visit: wait until only those are pending.
  t.ok(await eventually(async () => (await stats(server.base)).pending_visits <= 1, 10_000), 'nothing is left pending') || t.comment(await stats(server.base))
  await sleep(300)
  const after = await stats(server.base)
  t.equal(after.dropped_visits, 0, 'nothing was dropped')
  const [{ n, without }] = await query<{ n: string, without: string }>("SELECT count(*) AS n, count(*) FILTER (WHERE client_ip IS DISTINCT FROM '127.0.0.1') AS without FROM visits WHERE route = '/api/users'")
  t.ok(Number(n) > 1, `${n} of the 500 aborted requests reached the service and were written`)
  t.equal(Number(without), 0, 'each with the client address')
  const health = await (await fetch(`${server.base}/health`)).json() as { visits: { last_write_age_seconds: number | null, refused: number } }
  t.ok(health.visits.last_write_age_seconds !== null && health.visits.last_write_age_seconds < 30, `/health: last write ${health.visits.last_write_age_seconds} s ago`)
  t.equal(health.visits.refused, 0)
  t.notMatch(server.output(), /could not be written/, 'no write failed')
})
