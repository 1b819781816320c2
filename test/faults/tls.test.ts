// TLS for real: a PostgreSQL and a Redis of the test's own with TLS on, their certificates
// signed by a CA the test makes. verify-full accepts the right CA and refuses a wrong one.
import { rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { redisOptions } from '../../lib/redis-options.ts'
import { loadConfig } from '../../config/load.ts'
import { build, serverTests, until200 } from '../helpers/app.ts'
import { testDatabaseUrl } from '../helpers/database.ts'
import { makeCertificates, OwnPostgres, OwnRedis, type Certificates } from '../helpers/own-servers.ts'
import { testServers } from '../setup/servers.ts'
import { sql } from '../helpers/sql.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

let certs: Certificates, wrong: Certificates, postgres: OwnPostgres, redis: OwnRedis
t.before(async () => {
  [certs, wrong] = await Promise.all([makeCertificates('postgres'), makeCertificates()])
  postgres = await OwnPostgres.create({ tls: certs })
  redis = await OwnRedis.create({ tls: certs })
  await Promise.all([postgres.start(), redis.start()])
})
t.teardown(async () => {
  await Promise.all([postgres?.destroy(), redis?.destroy()])
  for (const made of [certs, wrong]) if (made) rmSync(made.dir, { recursive: true, force: true })
})

const plainRedis = () => ({ REDIS_URL: testServers().redisUrl })
const plainPostgres = async () => ({ DATABASE_URL: await testDatabaseUrl() })

t.test('PostgreSQL, DB_SSL=verify-full with the right CA: healthy, and every connection is encrypted', async (t) => {
  const app = await build(t, { DATABASE_URL: postgres.url(), DB_SSL: 'verify-full', DB_SSL_CA: certs.ca, ...plainRedis() })
  t.equal((await until200(app, '/health')).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'over-tls' } })).statusCode, 201)
  const sessions = await sql<{ application_name: string, ssl: boolean }>(postgres.url(), `
    SELECT a.application_name, s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
    WHERE a.application_name LIKE 'ecs-microservice%' ORDER BY 1`)
  t.ok(sessions.length >= 2, `the pool and the readiness check are connected (${sessions.map((s) => s.application_name).join(', ')})`)
  t.ok(sessions.every((s) => s.ssl), 'each over TLS')
})

t.test('PostgreSQL, sslmode=verify-full and sslrootcert in DATABASE_URL: the same', async (t) => {
  const url = `${postgres.url()}?sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}`
  const app = await build(t, { DATABASE_URL: url, ...plainRedis() })
  t.equal((await until200(app, '/health')).statusCode, 200)
})

t.test('PostgreSQL, verify-full with a CA that did not sign the server\'s certificate: refused, 503, never 500', async (t) => {
  // The visits it cannot write are given up at close after 1 s, not the default 10.
  const app = await build(t, { DATABASE_URL: postgres.url(), DB_SSL: 'verify-full', DB_SSL_CA: wrong.ca, ...plainRedis(), SHUTDOWN_TIMEOUT_MS: '2000' })
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 503)
  t.equal(health.json().checks.database, 'disconnected')
  const users = await app.inject({ method: 'GET', url: '/api/users' })
  t.equal(users.statusCode, 503)
  t.equal(users.headers['retry-after'], '1')
  t.notMatch(users.body, /certificate|self.signed/i, 'no TLS detail in the answer')
})

t.test('Redis over TLS (rediss://) with REDIS_TLS_CA the right CA: the counter works', async (t) => {
  const app = await build(t, { ...await plainPostgres(), REDIS_URL: redis.url(), REDIS_TLS_CA: certs.ca })
  const res = await app.inject({ method: 'GET', url: '/api/cache-test' })
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.json().counter, 1)
})

t.test('Redis over TLS with a wrong CA: refused, the cache route answers 503 and /health says disconnected', async (t) => {
  const app = await build(t, { ...await plainPostgres(), REDIS_URL: redis.url(), REDIS_TLS_CA: wrong.ca })
  t.equal((await app.inject({ method: 'GET', url: '/api/cache-test' })).statusCode, 503)
  t.equal((await app.inject({ method: 'GET', url: '/health' })).json().checks.redis, 'disconnected')
})

t.test('Redis over TLS with a wrong CA, the client closed during its handshakes 200 times: the process never crashes', async (t) => {
  // The refused certificate is the socket's first error; the server's alert in reply to the
  // client's close is a second one, which ioredis does not listen for (1 time in 10 here).
  const uncaught: string[] = []
  const record = (err: Error) => { uncaught.push(err.message) }
  process.on('uncaughtException', record)
  t.teardown(() => { process.off('uncaughtException', record) })
  const options = redisOptions(loadConfig({ REDIS_URL: redis.url(), REDIS_TLS_CA: wrong.ca }))
  for (let i = 0; i < 200; i++) {
    const client = new Redis(options)
    client.on('error', () => { /* the refused certificate, expected */ })
    client.connect().catch(() => { /* the same */ })
    await sleep(i % 20)
    client.disconnect()
  }
  await sleep(500)
  t.same(uncaught, [], 'no error without a listener')
})
