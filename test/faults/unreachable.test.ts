import { build, serverTests } from '../helpers/app.ts'
import { newDatabase, testDatabaseUrl } from '../helpers/database.ts'
import { testServers } from '../setup/servers.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

t.test('both dependencies unreachable at start: the service starts, answers 503 and names them', async (t) => {
  const started = Date.now()
  const app = await build(t, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' })
  t.ok(Date.now() - started < 30_000, `start-up does not wait for the dependencies (${Date.now() - started} ms)`)
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 503)
  t.match(health.json(), { status: 'degraded', checks: { database: 'disconnected', redis: 'disconnected' } })
  for (const url of ['/api/users', '/api/stats', '/api/cache-test']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 503, url)
    t.equal(res.json().error, 'Service Unavailable', url)
    t.notMatch(res.body, /ECONNREFUSED|127\.0\.0\.1|postgres|redis:|at /, `${url}: no internals`)
  }
  const create = await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'nobody' } })
  t.equal(create.statusCode, 503)
  t.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200, 'routes without I/O still serve')
})

t.test('a database that cannot serve answers 503 with Retry-After, not 500: no such database, a refused role, a missing table', async (t) => {
  const admin = new URL(testServers().databaseUrl)
  const noDatabase = new URL(admin)
  noDatabase.pathname = '/no_such_database_3d000'
  const noRole = new URL(await testDatabaseUrl())
  noRole.username = 'no_such_role_28000'
  noRole.password = 'not-the-password'
  const cases: Array<[string, Record<string, string>]> = [
    ['3D000 database does not exist', { DATABASE_URL: noDatabase.toString() }],
    ['28000/28P01 role or password refused', { DATABASE_URL: noRole.toString() }],
    // An empty database and no migrations: the users table is missing (42P01).
    ['42P01 undefined table', { DATABASE_URL: await newDatabase(), DB_MIGRATE_ON_START: 'false' }]
  ]
  for (const [label, env] of cases) {
    const app = await build(t, { ...env, SHUTDOWN_TIMEOUT_MS: '1000' })
    for (const url of ['/api/users', '/api/stats']) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(res.statusCode, 503, `${label}: ${url}: ${res.body}`)
      t.equal(res.headers['retry-after'], '1', `${label}: ${url} Retry-After (${JSON.stringify(res.headers)})`)
      t.notMatch(res.body, /does not exist|authentication|role|relation/i, `${label}: no database text`)
    }
  }
})
