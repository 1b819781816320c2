import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// One tap run's files: its `before` and `after` scripts and its test files are children of one
// tap process, so two runs at once in one checkout (a unit tier beside `npm test`) do not read
// each other's servers.
const RUN = process.env.TAP_BEFORE ? `-${process.ppid}` : ''
// Where the `before` script leaves the servers it found or started, for the test files.
export const SERVERS_FILE = join(import.meta.dirname, '..', '..', '.tap', `test-servers${RUN}.json`)
// Test files that could not run for want of real servers, one a line, for the `after` script.
export const NOT_RUN_FILE = join(import.meta.dirname, '..', '..', '.tap', `not-run${RUN}.txt`)

export const POSTGRES_IMAGE = 'postgres:16'
export const REDIS_IMAGE = 'redis:7'

// The machine's own servers on their default ports, as Debian and Homebrew install them.
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379'

/**
 * How a run found its PostgreSQL and Redis, in the order tried: TEST_DATABASE_URL and
 * TEST_REDIS_URL; servers answering on 127.0.0.1:5432 and :6379; containers started with
 * testcontainers; or none, and then only what the embedded back ends can serve runs.
 */
export type ServersMode = 'env' | 'local' | 'containers' | 'none'

export interface TestServers {
  mode: ServersMode
  databaseUrl: string
  redisUrl: string
  containers?: string[]
}

/** The servers of this test run. Throws for a run that found none: see serversMode(). */
export function testServers (): TestServers {
  const { TEST_DATABASE_URL, TEST_REDIS_URL, TEST_SERVERS } = process.env
  if (TEST_DATABASE_URL && TEST_REDIS_URL && !TEST_SERVERS) return { mode: 'env', databaseUrl: TEST_DATABASE_URL, redisUrl: TEST_REDIS_URL }
  const servers = JSON.parse(readFileSync(SERVERS_FILE, 'utf8')) as TestServers
  if (servers.mode === 'none') throw new Error('this test needs a real PostgreSQL and Redis, and the run found none: use serverTests() (test/helpers/app.ts)')
  return servers
}

export function serversMode (): ServersMode {
  const { TEST_DATABASE_URL, TEST_REDIS_URL, TEST_SERVERS } = process.env
  if (TEST_SERVERS === 'none') return 'none'
  if (TEST_DATABASE_URL && TEST_REDIS_URL && !TEST_SERVERS) return 'env'
  return existsSync(SERVERS_FILE) ? (JSON.parse(readFileSync(SERVERS_FILE, 'utf8')) as TestServers).mode : 'none'
}
