import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { redisOptions } from '../../lib/redis-options.ts'
import { MemoryStore } from '../../lib/memory-store.ts'
import { usesEmbeddedCache } from '../../config/load.ts'

export interface Cache {
  /** `redis`, or `embedded` for the in-process store used when no Redis is configured. */
  readonly backend: 'redis' | 'embedded'
  /** Atomically adds one to `key` and (re)sets its expiry; returns the new value. */
  increment (key: string, ttlSeconds: number): Promise<number>
  get (key: string): Promise<string | null>
  set (key: string, value: string, ttlSeconds: number): Promise<void>
  /** Seconds until `key` expires; -2 when it does not exist (Redis TTL). */
  ttl (key: string): Promise<number>
  /** Resolves true when the store answers. Never throws. */
  ping (): Promise<boolean>
}

declare module 'fastify' {
  interface FastifyInstance {
    cache: Cache
  }
}

/**
 * The cache: Redis (ElastiCache in production) through ioredis; outside production with no
 * Redis configured, an in-process store behind the same interface.
 */
export default fp(async function cache (fastify: FastifyInstance) {
  fastify.decorate('cache', usesEmbeddedCache(fastify.config) ? embeddedCache(fastify) : redisCache(fastify))
}, { name: 'cache', dependencies: ['config'] })

/**
 * The client connects in the background, so start-up does not wait for Redis, and reconnects
 * by itself after an outage.
 *
 * @fastify/redis is not used: it holds plugin registration until Redis answers, so a Redis
 * outage at start-up would stop the service from starting (see docs/decisions.md, "@fastify/redis is not used").
 */
function redisCache (fastify: FastifyInstance): Cache {
  const options = redisOptions(fastify.config)
  const redis = new Redis(options)
  fastify.log.info({ host: options.host, port: options.port, db: options.db ?? 0, tls: options.tls !== undefined }, 'cache: Redis, connecting in the background')
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

  fastify.addHook('onClose', async () => {
    // QUIT lets pending replies arrive; when Redis is down there is nothing to wait for.
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect())
    else redis.disconnect()
  })

  return {
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
    async ttl (key) {
      return redis.ttl(key)
    },
    async ping () {
      // A connection being opened (start-up, a reconnect) is waited for, within the command timeout.
      if (redis.status === 'connecting' || redis.status === 'connect') await ready(redis, fastify.config.REDIS_COMMAND_TIMEOUT_MS)
      return redis.ping().then(() => true, () => false)
    }
  }
}

/** Resolves when `redis` is ready or `ms` have passed, whichever comes first. */
function ready (redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      redis.off('ready', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    redis.once('ready', done)
  })
}

/** One process's memory: counters are not shared between instances, so never production. */
function embeddedCache (fastify: FastifyInstance): Cache {
  const store = new MemoryStore()
  fastify.log.info('no REDIS_URL or REDIS_HOST: using the embedded in-process cache')
  fastify.addHook('onClose', async () => store.close())
  return {
    backend: 'embedded',
    async increment (key, ttlSeconds) {
      return store.increment(key, ttlSeconds)
    },
    async get (key) {
      return store.get(key)
    },
    async set (key, value, ttlSeconds) {
      store.set(key, value, ttlSeconds)
    },
    async ttl (key) {
      return store.ttl(key)
    },
    async ping () {
      return true
    }
  }
}
