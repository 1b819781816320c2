import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { build, serverTests, until200 } from './helpers/app.ts'
import { newDatabase, query } from './helpers/database.ts'
import { sql } from './helpers/sql.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

const run = promisify(execFile)
const MIGRATIONS = join(import.meta.dirname, '..', 'migrations')
const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'migrate.ts')
const FILES = readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()
const VERSIONS = FILES.map((f) => Number(f.split('.')[0]))
// lib/migrate.ts: the same lock, so a test can hold it as another instance would.
const MIGRATION_LOCK = 727_100_001

function migrateScript (env: Record<string, string>) {
  return run(process.execPath, [SCRIPT], { env: { ...process.env, ...env } })
}

/** A session on `url` holding the migration lock, as another instance migrating would. */
async function holdMigrationLock (t: Pick<typeof import('tap').default, 'teardown'>, url: string) {
  const holder = new pg.Client({ connectionString: url })
  await holder.connect()
  t.teardown(() => holder.end())
  await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
  return { release: () => holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]) }
}

// The Flask service's schema, as its own code created it, and what it had written.
const FLASK_SCHEMA = `
CREATE TABLE visits (id SERIAL PRIMARY KEY, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, endpoint VARCHAR(255), ip_address VARCHAR(45));
CREATE TABLE users (id SERIAL PRIMARY KEY, username VARCHAR(100) UNIQUE NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
INSERT INTO users (username, created_at) VALUES ('alice', '2024-01-02 03:04:05'), ('bob', '2024-02-03 04:05:06'), ('carol', '2024-03-04 05:06:07');
DELETE FROM users WHERE username = 'bob';
INSERT INTO visits (timestamp, endpoint, ip_address)
  SELECT timestamp '2024-06-01' + n * interval '1 minute', (ARRAY['/', '/api/users', '/api/stats', '/health'])[n % 4 + 1], '198.51.100.' || (n % 200)
  FROM generate_series(1, 1000) AS n;
INSERT INTO visits (endpoint, ip_address) VALUES ('/', NULL);
`

async function flaskDatabase (): Promise<string> {
  const url = await newDatabase()
  await sql(url, FLASK_SCHEMA)
  return url
}

t.test('three instances starting at once on an empty database apply the migrations once', async (t) => {
  const apps = await Promise.all([build(t), build(t), build(t)])
  const versions = await query<{ version: string }>('SELECT version FROM schemaversion ORDER BY version')
  t.same(versions.map((v) => Number(v.version)), [0, ...VERSIONS], 'each migration recorded once (0 is postgrator\'s base row)')
  for (const app of apps) t.equal((await until200(app, '/health')).statusCode, 200)
})

t.test('the service takes over the Flask service\'s database: every user kept, old visits counted, healthy', async (t) => {
  const url = await flaskDatabase()
  const app = await build(t, { DATABASE_URL: url })
  const health = await until200(app, '/health')
  t.equal(health.statusCode, 200, `healthy: ${health.body}`)
  t.same(health.json().checks.database, 'connected')

  const users = (await app.inject({ method: 'GET', url: '/api/users?limit=100' })).json().users
  t.same(users, [
    { id: 3, username: 'carol', created_at: '2024-03-04T05:06:07.000Z' },
    { id: 1, username: 'alice', created_at: '2024-01-02T03:04:05.000Z' }
  ], 'ids, names and creation times (Flask wrote UTC) as they were')
  const created = await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'dave' } })
  t.equal(created.statusCode, 201)
  t.equal(created.json().user.id, 4, 'new ids continue after the old ones')
  t.equal((await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'alice' } })).statusCode, 409, 'old names stay taken')

  const stats = (await app.inject({ method: 'GET', url: '/api/stats' })).json()
  t.ok(stats.total_visits >= 1001, `total_visits ${stats.total_visits} includes Flask's 1001 visits`)
  t.same(stats.endpoints.filter((e: { method: string }) => e.method === '*').sort((a: { route: string }, b: { route: string }) => a.route.localeCompare(b.route)), [
    { method: '*', route: '/', visits: 251 },
    { method: '*', route: '/api/stats', visits: 250 },
    { method: '*', route: '/api/users', visits: 250 },
    { method: '*', route: '/health', visits: 250 }
  ], 'Flask\'s visits counted per endpoint')
  await app.visits.flush()
  const after = (await app.inject({ method: 'GET', url: '/api/stats' })).json()
  t.ok(after.total_visits > stats.total_visits, 'new visits add to them')

  const [kept] = await sql<{ rows: number }>(url, 'SELECT count(*)::int AS rows FROM flask_visits')
  t.equal(kept.rows, 1001, 'Flask\'s visit rows kept aside, unchanged, in flask_visits')
  const [types] = await sql<{ created_at: string, id: string, nullable: string }>(url, `
    SELECT (SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'created_at') AS created_at,
           (SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'id') AS id,
           (SELECT is_nullable FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'created_at') AS nullable`)
  t.same(types, { created_at: 'timestamp with time zone', id: 'bigint', nullable: 'NO' }, 'users has the service\'s column types')
})

t.test('npm run migrate takes over a Flask database too, and a second run finds it up to date', async (t) => {
  const url = await flaskDatabase()
  const first = await migrateScript({ DATABASE_URL: url })
  t.match(first.stdout, `applied migrations ${VERSIONS.join(', ')}`)
  const again = await migrateScript({ DATABASE_URL: url })
  t.match(again.stdout, /schema up to date/)
})

t.test('every migration is safe to run again after a crash between it and its version row', async (t) => {
  for (const flask of [false, true]) {
    for (const [i, file] of FILES.entries()) {
      const url = flask ? await flaskDatabase() : await newDatabase()
      // Migrated up to the one before, then this one applied without its version row.
      if (i > 0) await migrateScript({ DATABASE_URL: url })
      if (i > 0) await sql(url, 'DELETE FROM schemaversion WHERE version >= $1', [VERSIONS[i]])
      await sql(url, readFileSync(join(MIGRATIONS, file), 'utf8'))
      const { stdout } = await migrateScript({ DATABASE_URL: url }).catch((err) => err)
      t.match(stdout, /applied migrations/, `${flask ? 'Flask database' : 'empty database'}: ${file} again`)
      if (flask) {
        const [{ total }] = await sql<{ total: number }>(url, "SELECT sum(total)::int AS total FROM visit_totals WHERE method = '*'")
        t.equal(total, 1001, `${file} again: Flask's visits counted once`)
      }
    }
  }
})

t.test('a database migrated by the first text of 002 is accepted (checksum of the rewrite)', async (t) => {
  const url = await newDatabase()
  await migrateScript({ DATABASE_URL: url })
  await sql(url, "UPDATE schemaversion SET md5 = 'c92bdbce410bc74178bd855a248fef0e' WHERE version = 2")
  const { stdout } = await migrateScript({ DATABASE_URL: url })
  t.match(stdout, /schema up to date/)
  await sql(url, "UPDATE schemaversion SET md5 = '00000000000000000000000000000000' WHERE version = 2")
  const edited = await migrateScript({ DATABASE_URL: url }).catch((err) => err)
  t.equal(edited.code, 1, 'any other checksum still fails')
  t.match(edited.stderr, /MD5 checksum failed for migration \[2\]/)
})

t.test('a migration is not bound by the request timeouts: it waits out a lock held past them', async (t) => {
  const url = await newDatabase()
  const lock = await holdMigrationLock(t, url)
  // The request pool would give up after 1 s + 1 s; the lock is released after 3 s.
  const migrating = migrateScript({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: '1000' })
  const release = new Promise((resolve) => setTimeout(resolve, 3_000)).then(lock.release)
  const { stdout } = await migrating
  await release
  t.match(stdout, /applied migrations/)
})

t.test('DB_MIGRATION_TIMEOUT_MS is the one bound of a migration: past it npm run migrate fails', async (t) => {
  const url = await newDatabase()
  await holdMigrationLock(t, url)
  const failed = await migrateScript({ DATABASE_URL: url, DB_MIGRATION_TIMEOUT_MS: '500' }).catch((err) => err)
  t.equal(failed.code, 1)
  t.match(failed.stderr, /migration failed: canceling statement due to statement timeout/)
})

t.test('PostgreSQL dropping the migration connection does not crash the service: it retries and turns healthy', async (t) => {
  const url = await newDatabase()
  const lock = await holdMigrationLock(t, url)
  const app = await build(t, { DATABASE_URL: url })
  t.equal((await app.inject({ method: 'GET', url: '/health' })).json().checks.database, 'migrating', 'waiting for the lock')
  const killed = await sql<{ killed: boolean }>(url, "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'ecs-microservice migrations' AND datname = current_database()")
  t.same(killed, [{ killed: true }], 'the migration session was terminated')
  await lock.release()
  const health = await until200(app, '/health', 30_000)
  t.equal(health.statusCode, 200, 'migrated on a later attempt')
})

t.test('npm run migrate fails with exit 1 when the database cannot be reached', async (t) => {
  const failed = await migrateScript({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', DB_CONNECTION_TIMEOUT_MS: '500' }).catch((err) => err)
  t.equal(failed.code, 1, 'exit 1 when the database cannot be reached')
  t.match(failed.stderr, /migration failed/)
})
