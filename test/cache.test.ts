import t from 'tap'
import { build } from './helpers/app.ts'

t.test('GET /api/cache-test increments the counter and sets a one-hour expiry', async (t) => {
  const app = await build(t)
  const first = await app.inject({ method: 'GET', url: '/api/cache-test' })
  t.equal(first.statusCode, 200)
  t.same(Object.keys(first.json()).sort(), ['counter', 'message', 'timestamp'])
  t.equal(first.json().counter, 1)
  t.equal((await app.inject({ method: 'GET', url: '/api/cache-test' })).json().counter, 2)
  const ttl = await app.cache.ttl('cache_test_counter')
  t.ok(ttl > 3590 && ttl <= 3600, `expiry ${ttl} s`)
})

t.test('100 concurrent increments give 100 distinct values with no gap', async (t) => {
  const app = await build(t)
  const answers = await Promise.all(Array.from({ length: 100 }, () => app.inject({ method: 'GET', url: '/api/cache-test' })))
  t.ok(answers.every((r) => r.statusCode === 200))
  const values = answers.map((r) => r.json().counter).sort((a, b) => a - b)
  t.same(values, Array.from({ length: 100 }, (_, i) => i + 1))
})

t.test('HEAD /api/cache-test answers 200 and changes nothing', async (t) => {
  const app = await build(t)
  for (let i = 0; i < 3; i++) {
    const head = await app.inject({ method: 'HEAD', url: '/api/cache-test' })
    t.equal(head.statusCode, 200)
    t.equal(head.body, '')
  }
  t.equal(await app.cache.get('cache_test_counter'), null, 'no counter was created')
  t.equal((await app.inject({ method: 'GET', url: '/api/cache-test' })).json().counter, 1, 'the first GET counts 1')
})
