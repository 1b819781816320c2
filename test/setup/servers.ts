import { readFileSync } from 'node:fs'
import { join } from 'node:path'

// Where the `before` script leaves the URLs of the servers it started, for the test files.
export const SERVERS_FILE = join(import.meta.dirname, '..', '..', '.tap', 'test-servers.json')

export const POSTGRES_IMAGE = 'postgres:16'
export const REDIS_IMAGE = 'redis:7'

export interface TestServers {
  databaseUrl: string
  redisUrl: string
  containers?: string[]
}

/** The servers of this test run: TEST_DATABASE_URL/TEST_REDIS_URL, or the containers started for it. */
export function testServers (): TestServers {
  const { TEST_DATABASE_URL, TEST_REDIS_URL } = process.env
  if (TEST_DATABASE_URL && TEST_REDIS_URL) return { databaseUrl: TEST_DATABASE_URL, redisUrl: TEST_REDIS_URL }
  return JSON.parse(readFileSync(SERVERS_FILE, 'utf8')) as TestServers
}
