import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { redisOptions } from '../lib/redis-options.ts'

export interface Cache {
  /** `redis`, or `embedded` for the in-process store used when no Redis is configured. */
  readonly backend: 'redis' | 'embedded'
  /** Atomically adds one to `key` and (re)sets its expiry; returns the new value. */
  increment (key: string, ttlSeconds: number): Promise<number>
  get (key: string): Promise<string | null>
  set (key: string, value: string, ttlSeconds: number): Promise<void>
  /** Resolves true when the store answers. Never throws. */
  ping (): Promise<boolean>
}

declare module 'fastify' {
  interface FastifyInstance {
    cache: Cache
  }
}

/**
 * The cache: Redis (ElastiCache in production) through ioredis. The client connects in the
 * background, so start-up does not wait for Redis, and reconnects by itself after an outage.
 *
 * @fastify/redis is not used: it holds plugin registration until Redis answers, so a Redis
 * outage at start-up would stop the service from starting (see README, "Deviations").
 */
export default fp(async function cache (fastify: FastifyInstance) {
  const redis = new Redis(redisOptions(fastify.config))
  let lastError = ''
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt: log each change once.
    if (err.message !== lastError) fastify.log.warn({ err }, 'redis connection error')
    lastError = err.message
  })
  redis.on('ready', () => {
    if (lastError) fastify.log.info('redis connection restored')
    lastError = ''
  })
  redis.connect().catch(() => { /* reported by the 'error' listener; retried by ioredis */ })

  fastify.decorate('cache', {
    backend: 'redis',
    async increment (key, ttlSeconds) {
      // One round trip, one transaction: the INCR and its expiry cannot be separated.
      const results = await redis.multi().incr(key).expire(key, ttlSeconds).exec()
      const [error, value] = results?.[0] ?? [new Error('transaction discarded')]
      if (error) throw error
      return value as number
    },
    async get (key) {
      return redis.get(key)
    },
    async set (key, value, ttlSeconds) {
      await redis.set(key, value, 'EX', ttlSeconds)
    },
    async ping () {
      return redis.ping().then(() => true, () => false)
    }
  } satisfies Cache)

  fastify.addHook('onClose', async () => {
    // QUIT lets pending replies arrive; when Redis is down there is nothing to wait for.
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect())
    else redis.disconnect()
  })
}, { name: 'cache', dependencies: ['config'] })
