import pg from 'pg'
import { build, serverTests } from '../helpers/app.ts'
import { testDatabaseUrl } from '../helpers/database.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

const STATEMENT_TIMEOUT_MS = 300

t.test('a statement that waits past statement_timeout is cancelled: 503 with Retry-After in bounded time, and the connection goes back to the pool healthy', async (t) => {
  const app = await build(t, { DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS), DB_POOL_MAX: '2' })
  t.equal((await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'before' } })).statusCode, 201)

  // Another session holds the users table: every statement on it waits, as on a slow or
  // locked database.
  const blocker = new pg.Client({ connectionString: await testDatabaseUrl() })
  await blocker.connect()
  t.teardown(() => blocker.end())
  await blocker.query('BEGIN')
  await blocker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE')

  for (const request of [{ method: 'GET' as const, url: '/api/users' }, { method: 'POST' as const, url: '/api/users', payload: { username: 'blocked' } }]) {
    const started = Date.now()
    const res = await app.inject(request)
    const took = Date.now() - started
    t.equal(res.statusCode, 503, `${request.method} ${request.url} answers 503`)
    t.equal(res.headers['retry-after'], '1')
    t.same(Object.keys(res.json()).sort(), ['error', 'message', 'statusCode'])
    t.notMatch(res.body, /statement timeout|canceling|lock|users/i, 'no database text')
    t.ok(took >= STATEMENT_TIMEOUT_MS && took < STATEMENT_TIMEOUT_MS + 1_000, `${request.method}: cancelled after ${took} ms (statement_timeout ${STATEMENT_TIMEOUT_MS} ms)`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200, 'routes without the table serve meanwhile')

  await blocker.query('ROLLBACK')
  // Every connection of the pool (max 2) answers again: none was left broken or in a transaction.
  const answers = await Promise.all(Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: '/api/users' })))
  t.same(answers.map((r) => r.statusCode), Array(20).fill(200), 'the pool serves again at once')
  t.same(answers[0].json().users.map((u: { username: string }) => u.username), ['before'], 'the cancelled insert left nothing behind')
  t.ok(app.pg.pool.totalCount <= 2, `${app.pg.pool.totalCount} connections in the pool`)
  const [{ status }] = (await app.pg.query<{ status: string }>("SELECT 'idle-ok' AS status")).rows
  t.equal(status, 'idle-ok')
})
