// tap `before`: makes sure the suite has a PostgreSQL and a Redis. TEST_DATABASE_URL and
// TEST_REDIS_URL are used as they are; without them both servers are started with
// testcontainers, and stopped by stop-servers.ts after the run.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { POSTGRES_IMAGE, REDIS_IMAGE, SERVERS_FILE, type TestServers } from './servers.ts'

rmSync(SERVERS_FILE, { force: true })
const { TEST_DATABASE_URL, TEST_REDIS_URL } = process.env

if (TEST_DATABASE_URL && TEST_REDIS_URL) {
  console.log(`test servers: ${new URL(TEST_DATABASE_URL).host} (PostgreSQL), ${new URL(TEST_REDIS_URL).host} (Redis), from TEST_DATABASE_URL and TEST_REDIS_URL`)
} else {
  const { getContainerRuntimeClient } = await import('testcontainers')
  try {
    await getContainerRuntimeClient()
  } catch {
    console.error([
      'The tests need a PostgreSQL and a Redis server. Either:',
      '  - set TEST_DATABASE_URL (a role that may CREATE DATABASE) and TEST_REDIS_URL, e.g.',
      '    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_REDIS_URL=redis://127.0.0.1:6379 npm test',
      '  - or run a container engine (Docker) so that testcontainers can start them.'
    ].join('\n'))
    process.exit(1)
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
  const { RedisContainer } = await import('@testcontainers/redis')
  const [postgres, redis] = await Promise.all([
    new PostgreSqlContainer(POSTGRES_IMAGE).withUsername('postgres').withPassword('postgres').withDatabase('postgres').start(),
    new RedisContainer(REDIS_IMAGE).start()
  ])
  const servers: TestServers = {
    databaseUrl: postgres.getConnectionUri(),
    redisUrl: redis.getConnectionUrl(),
    containers: [postgres.getId(), redis.getId()]
  }
  mkdirSync(dirname(SERVERS_FILE), { recursive: true })
  writeFileSync(SERVERS_FILE, JSON.stringify(servers))
  console.log(`test servers: testcontainers ${POSTGRES_IMAGE} at ${new URL(servers.databaseUrl).host}, ${REDIS_IMAGE} at ${new URL(servers.redisUrl).host}`)
}
