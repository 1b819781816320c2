// An ElastiCache failover leaves the old primary up as a replica: its connection stays open
// and every write answers READONLY. The client must reconnect (ioredis reconnectOnError) and
// the request answer 503, not 500 until the connection happens to drop.
import { build, serverTests } from '../helpers/app.ts'
import { OwnRedis } from '../helpers/own-servers.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

t.test('READONLY from a demoted primary: 503 with Retry-After, the client reconnects, writes work once it is primary again', async (t) => {
  const [primary, other] = await Promise.all([OwnRedis.create(), OwnRedis.create()])
  t.teardown(() => Promise.all([primary.destroy(), other.destroy()]))
  await Promise.all([primary.start(), other.start()])
  const app = await build(t, { REDIS_URL: primary.url() })
  t.equal((await app.inject({ method: 'GET', url: '/api/cache-test' })).statusCode, 200)

  // The service's connection, by its name (connectionName): a reconnect gives it a new id.
  const connection = async () => /id=(\d+) .*name=ecs-microservice /.exec(await primary.command('CLIENT', 'LIST'))?.[1]
  // Demoting it drops its clients once; the client reconnects by itself, to a replica that
  // answers reads, so that connection stays up.
  await primary.command('REPLICAOF', '127.0.0.1', String(other.port))
  await app.health.refresh()
  for (let i = 0; i < 100 && (await app.health.refresh()).redis !== 'connected'; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const before = await connection()
  const demoted = await app.inject({ method: 'GET', url: '/api/cache-test' })
  t.equal(demoted.statusCode, 503, 'a write to a replica: the dependency cannot serve')
  t.equal(demoted.headers['retry-after'], '1')
  t.notMatch(demoted.body, /READONLY/, 'no Redis detail in the answer')
  let reconnected = await connection()
  for (let i = 0; i < 100 && (reconnected === before || reconnected === undefined); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    reconnected = await connection()
  }
  t.not(reconnected, before, `the client opened a new connection (id ${before} → ${reconnected}) instead of keeping the demoted one`)

  await primary.command('REPLICAOF', 'NO', 'ONE')
  let res = await app.inject({ method: 'GET', url: '/api/cache-test' })
  for (let i = 0; i < 100 && res.statusCode !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    res = await app.inject({ method: 'GET', url: '/api/cache-test' })
  }
  t.equal(res.statusCode, 200, 'writes work again on the promoted server')
})
