// tap `after`: stops the containers that start-servers.ts started, if it started any, and names
// the test files that did not run for want of real servers.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { NOT_RUN_FILE, SERVERS_FILE, type TestServers } from './servers.ts'

if (existsSync(SERVERS_FILE)) {
  const { containers = [] } = JSON.parse(readFileSync(SERVERS_FILE, 'utf8')) as TestServers
  if (containers.length > 0) {
    const { getContainerRuntimeClient } = await import('testcontainers')
    const client = await getContainerRuntimeClient()
    await Promise.all(containers.map(async (id) => {
      const container = client.container.getById(id)
      await client.container.stop(container, { timeout: 5_000 }).catch(() => {})
      await client.container.remove(container, { removeVolumes: true }).catch(() => {})
    }))
  }
  rmSync(SERVERS_FILE, { force: true })
}
if (existsSync(NOT_RUN_FILE)) {
  const files = [...new Set(readFileSync(NOT_RUN_FILE, 'utf8').trim().split('\n'))].sort()
  console.log(`\nNOT RUN, for want of a real PostgreSQL and Redis (${files.length} files; README, "Test tiers"):\n${files.map((f) => `  - ${f}`).join('\n')}`)
  rmSync(NOT_RUN_FILE, { force: true })
}
