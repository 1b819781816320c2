import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { keyPrefix, query, testDatabaseUrl } from './helper.ts'
import { testServers } from './setup/servers.ts'

const server = join(import.meta.dirname, '..', 'server.ts')

async function startServer (env: Record<string, string>) {
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.on('data', (chunk) => { output += chunk })
  const deadline = Date.now() + 30_000
  let url: string | undefined
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1]
    await sleep(50)
  }
  return { child, url, output: () => output }
}

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
