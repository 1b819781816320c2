import t from 'tap'
import { build } from './helpers/app.ts'
import { backend } from './helpers/database.ts'
import { testServers } from './setup/servers.ts'

t.test('GET /api/info names the service, version, environment and host, and where its dependencies are', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/api/info' })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body, { service: 'ecs-microservice', environment: 'test', hostname: String, version: String, node_version: process.version })
  if (backend === 'embedded') {
    t.same(body.database, { backend: 'embedded', host: 'embedded' })
    t.same(body.redis, { backend: 'embedded', host: 'embedded' })
  } else {
    t.equal(body.database.backend, 'postgresql')
    t.equal(body.database.host, new URL(testServers().databaseUrl).hostname, 'host names outside production')
    t.equal(body.redis.backend, 'redis')
    t.equal(body.redis.host, new URL(testServers().redisUrl).hostname)
  }
})
