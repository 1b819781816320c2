import t from 'tap'
import { build, testDatabaseUrl } from './helper.ts'
import { testServers } from './setup/servers.ts'

t.test('in production, /api/info and errors carry no password, connection string or host', async (t) => {
  const url = new URL(await testDatabaseUrl())
  url.username = 'svc'
  url.password = 'Sup3rSecretPa55word'
  const app = await build(t, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: url.toString(),
    REDIS_URL: testServers().redisUrl,
    REDIS_PASSWORD: 'An0therSecretT0ken'
  })
  const info = await app.inject({ method: 'GET', url: '/api/info' })
  t.equal(info.statusCode, 200)
  t.equal(info.json().environment, 'production')
  t.notOk('host' in info.json().database, 'no database host in production')
  t.notOk('host' in info.json().redis, 'no Redis host in production')
  // The login fails (no such role): the answer must not say why, or with what.
  for (const res of [info, await app.inject({ method: 'GET', url: '/api/users' }), await app.inject({ method: 'GET', url: '/api/cache-test' })]) {
    t.notMatch(res.body, /Sup3rSecret|An0therSecret|postgres(ql)?:\/\/|svc@|role|password/i, String(res.raw.req.url))
  }
})
