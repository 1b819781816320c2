// The ceilings of `npm run bench`: a bare Fastify server (no plugins, logger off) whose routes
// each do the least the matching endpoint must do, with the same drivers, pool settings and
// statements as the service. What the service adds on top (validation, serialisation, helmet,
// compression, logging, visit tracking, error handling) is what the ratios measure.
import Fastify from 'fastify'
import pg from 'pg'
import { Redis } from 'ioredis'
import { loadConfig } from '../config/load.ts'
import { poolOptions } from '../lib/database-options.ts'
import { redisOptions } from '../lib/redis-options.ts'
import { CREATE_USER, LIST_USERS_FIRST } from '../plugins/app/users.ts'
import { VISIT_TOTALS } from '../plugins/app/visits.ts'

const config = loadConfig(process.env)
const pool = new pg.Pool(poolOptions(config))
const redis = new Redis({ ...redisOptions(config), lazyConnect: false })
const app = Fastify({ logger: false })

// GET /, /api/info, /health/live: no I/O.
app.get('/none', async () => ({ message: 'hello' }))

// GET /api/users: the same single SELECT (first page of 10, one row more).
app.get('/select', async () => (await pool.query({
  name: 'users-list-first',
  text: LIST_USERS_FIRST,
  values: [11]
})).rows)

// POST /api/users: the same single-row INSERT.
app.post('/insert', async (request, reply) => {
  const { rows } = await pool.query({
    name: 'users-create',
    text: CREATE_USER,
    values: [(request.body as { username: string }).username]
  })
  return reply.code(201).send(rows[0])
})

// GET /api/cache-test: one MULTI INCR EXPIRE.
app.get('/redis', async () => {
  const results = await redis.multi().incr('cache_test_counter').expire('cache_test_counter', 3600).exec()
  return { counter: results?.[0]?.[1] }
})

// GET /api/stats: the counter read.
app.get('/counter', async () => (await pool.query({
  name: 'visits-totals',
  text: VISIT_TOTALS
})).rows)

app.addHook('onClose', async () => {
  await pool.end()
  await redis.quit()
})
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
await app.listen({ host: config.HOST, port: config.PORT })
