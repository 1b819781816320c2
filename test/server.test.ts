import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { keyPrefix, query, startServer, testDatabaseUrl } from './helper.ts'
import { testServers } from './setup/servers.ts'

t.test('a bad configuration value stops start-up with exit 1 and names the variable', async (t) => {
  const { child, output } = await startServer({ PORT: 'not-a-port' })
  const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode]
  t.equal(code, 1)
  t.match(output(), /Invalid configuration: PORT/)
})

t.test('SIGTERM under load: in-flight requests complete, visits are flushed, exit 0', async (t) => {
  const { child, url, output } = await startServer({ DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl, REDIS_KEY_PREFIX: keyPrefix })
  t.ok(url, 'the server listens') || t.comment(output())
  const [{ total: before = '0' } = {}] = await query<{ total: string }>('SELECT sum(total)::text AS total FROM visit_totals')

  let ok = 0
  let refused = 0
  const load = Array.from({ length: 16 }, async () => {
    for (let i = 0; i < 40; i++) {
      try {
        const res = await fetch(`${url}/api/info`)
        await res.arrayBuffer()
        if (res.status === 200) ok++
        else refused++
      } catch {
        refused++
        return
      }
    }
  })
  await sleep(150)
  const started = Date.now()
  child.kill('SIGTERM')
  await Promise.all(load)
  const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode]
  t.equal(code, 0, 'exit code 0')
  t.ok(Date.now() - started < 10_000, `closed in ${Date.now() - started} ms`)
  t.ok(ok > 0, `${ok} requests answered 200 (${refused} refused after close)`)
  const [{ total }] = await query<{ total: string }>('SELECT sum(total)::text AS total FROM visit_totals')
  t.equal(Number(total) - Number(before), ok, 'every visit that got a 200 is in the database')
})
