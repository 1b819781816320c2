// tap `after`: stops the containers that start-servers.ts started, if it started any.
import { existsSync, rmSync } from 'node:fs'
import { SERVERS_FILE, testServers } from './servers.ts'

if (existsSync(SERVERS_FILE)) {
  const { containers = [] } = testServers()
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
