// tap `before`: finds the suite's PostgreSQL and Redis, in this order (README, "Test tiers"):
//   1. TEST_DATABASE_URL and TEST_REDIS_URL, as they are;
//   2. servers answering on 127.0.0.1:5432 (user postgres, no password) and 127.0.0.1:6379;
//   3. a container engine: both started with testcontainers (stopped by stop-servers.ts);
//   4. none: every test the embedded back ends can serve runs, and the others are named as not run.
// TEST_SERVERS=containers goes straight to 3 (CI's second run), TEST_SERVERS=none to 4 (to see
// what a machine with nothing installed runs).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { dirname } from 'node:path'
import pg from 'pg'
import { LOCAL_DATABASE_URL, LOCAL_REDIS_URL, NOT_RUN_FILE, POSTGRES_IMAGE, REDIS_IMAGE, SERVERS_FILE, type TestServers } from './servers.ts'

rmSync(SERVERS_FILE, { force: true })
rmSync(NOT_RUN_FILE, { force: true })
mkdirSync(dirname(SERVERS_FILE), { recursive: true })

async function postgresAnswers (url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    // The tests create a database each: the role must be allowed to.
    const { rows } = await client.query<{ ok: boolean }>('SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user')
    return rows[0]?.ok === true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

function redisAnswers (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname)
    socket.setTimeout(2_000, () => { socket.destroy(); resolve(false) })
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
    socket.once('error', () => resolve(false))
  })
}

async function containerEngine (): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers')
  try {
    await getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}

async function find (): Promise<TestServers> {
  const { TEST_DATABASE_URL, TEST_REDIS_URL, TEST_SERVERS } = process.env
  if (TEST_SERVERS === 'none') return { mode: 'none', databaseUrl: '', redisUrl: '' }
  const containersOnly = TEST_SERVERS === 'containers'
  if (TEST_DATABASE_URL && TEST_REDIS_URL && !containersOnly) return { mode: 'env', databaseUrl: TEST_DATABASE_URL, redisUrl: TEST_REDIS_URL }
  if (!containersOnly && await postgresAnswers(LOCAL_DATABASE_URL) && await redisAnswers(LOCAL_REDIS_URL)) {
    return { mode: 'local', databaseUrl: LOCAL_DATABASE_URL, redisUrl: LOCAL_REDIS_URL }
  }
  if (await containerEngine()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const { RedisContainer } = await import('@testcontainers/redis')
    const [postgres, redis] = await Promise.all([
      // As test/helpers/own-servers.ts runs its own: no fsync. The suite tests the service, not the
      // disk: its commits must not wait on a disk that CI shares with image builds.
      new PostgreSqlContainer(POSTGRES_IMAGE).withUsername('postgres').withPassword('postgres').withDatabase('postgres')
        .withCommand(['postgres', '-c', 'fsync=off']).start(),
      new RedisContainer(REDIS_IMAGE).start()
    ])
    return { mode: 'containers', databaseUrl: postgres.getConnectionUri(), redisUrl: redis.getConnectionUrl(), containers: [postgres.getId(), redis.getId()] }
  }
  if (containersOnly) throw new Error('TEST_SERVERS=containers, but no container engine answers')
  return { mode: 'none', databaseUrl: '', redisUrl: '' }
}

const servers = await find()
writeFileSync(SERVERS_FILE, JSON.stringify(servers))
const where = () => `${new URL(servers.databaseUrl).host} (PostgreSQL), ${new URL(servers.redisUrl).host} (Redis)`
console.log({
  env: () => `test servers: ${where()}, from TEST_DATABASE_URL and TEST_REDIS_URL`,
  local: () => `test servers: ${where()}, the machine's own on their default ports`,
  containers: () => `test servers: testcontainers ${POSTGRES_IMAGE} and ${REDIS_IMAGE}: ${where()}`,
  none: () => [
    'test servers: NONE (no TEST_DATABASE_URL/TEST_REDIS_URL, nothing on 127.0.0.1:5432 and :6379, no container engine).',
    'Running what the embedded back ends can serve; the tests that need real servers are listed at the end as NOT RUN.'
  ].join('\n')
}[servers.mode]())
