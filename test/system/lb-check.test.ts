// The load balancer's health check as the ALB makes it: through the project's nginx to the app's
// /health/started. A shared dependency that is down must not fail it (ECS would replace every
// task in a loop while the database fails over); an app that stops answering must.
import { setTimeout as sleep } from 'node:timers/promises'
import { testServers } from '../setup/servers.ts'
import { serverTests } from '../helpers/app.ts'
import { keyPrefix, testDatabaseUrl } from '../helpers/database.ts'
import { serve } from '../helpers/processes.ts'
import { startLocalNginx } from '../../deploy/nginx/local.ts'

const t = serverTests()

// The target group's check: every 10 s, 5 s timeout, unhealthy after 3 (deploy/infra edge.ts).
async function check (base: string): Promise<number | string> {
  try {
    return (await fetch(`${base}/health/started`, { signal: AbortSignal.timeout(5_000) })).status
  } catch (err) {
    return (err as Error).name
  }
}

t.test('Redis down past the unhealthy threshold: /health 503, the load balancer\'s check still 200', async (t) => {
  // Redis at a port where nothing listens, for the whole test: a dependency outage.
  const app = await serve(t, { DATABASE_URL: await testDatabaseUrl(), REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: keyPrefix }, { healthy: false })
  const nginx = await startLocalNginx([new URL(app.base).host])
  t.teardown(() => nginx.stop())
  t.equal((await fetch(`${nginx.base}/health`)).status, 503, '/health says degraded')
  const answers: Array<number | string> = []
  for (let i = 0; i < 4; i++) {
    answers.push(await check(nginx.base))
    await sleep(1_000)
  }
  t.same(answers, [200, 200, 200, 200], 'the target stays healthy')
  t.equal((await fetch(`${nginx.base}/api/cache-test`)).status, 503, 'the route that needs Redis answers 503')
})

t.test('an app that stops answering behind a live nginx fails the check', async (t) => {
  const app = await serve(t, { DATABASE_URL: await testDatabaseUrl(), REDIS_URL: testServers().redisUrl, REDIS_KEY_PREFIX: keyPrefix })
  const nginx = await startLocalNginx([new URL(app.base).host])
  t.teardown(() => nginx.stop())
  t.equal(await check(nginx.base), 200, 'healthy while it answers')
  app.child.kill('SIGSTOP')
  t.teardown(() => { app.child.kill('SIGCONT') })
  t.not(await check(nginx.base), 200, 'a hung app: no 200 within the check\'s 5 s')
  t.equal((await fetch(`${nginx.base}/nginx-health`)).status, 200, 'nginx itself still answers')
  app.child.kill('SIGKILL')
  await sleep(200)
  t.not(await check(nginx.base), 200, 'a crashed app: not 200')
})
