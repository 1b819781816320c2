import { readFileSync } from 'node:fs'
import type { RedisOptions } from 'ioredis'
// Not in ioredis' index; the version is pinned by package-lock.json.
import standalone, { type StandaloneConnectionOptions } from 'ioredis/built/connectors/StandaloneConnector.js'
import type { ErrorEmitter } from 'ioredis/built/connectors/AbstractConnector.js'
import { usesEmbeddedCache, type Config } from '../config/load.ts'

/**
 * ioredis options from the configuration. Commands fail at once while Redis is unreachable
 * (no offline queue, bounded command time), and the client reconnects for ever in the
 * background, so a Redis restart costs 503s on the cache route, never hung requests.
 */
export function redisOptions (config: Config): RedisOptions {
  const url = config.REDIS_URL ? new URL(config.REDIS_URL) : undefined
  const tls = config.REDIS_TLS || url?.protocol === 'rediss:'
  return {
    host: url?.hostname || config.REDIS_HOST || 'localhost',
    port: url?.port ? Number(url.port) : config.REDIS_PORT,
    username: url?.username ? decodeURIComponent(url.username) : undefined,
    password: url?.password ? decodeURIComponent(url.password) : config.REDIS_PASSWORD,
    db: url && url.pathname.length > 1 ? Number(url.pathname.slice(1)) : config.REDIS_DB,
    // ElastiCache in-transit encryption: TLS, the server's certificate and name checked against
    // the system's CAs (Amazon's are among them) or REDIS_TLS_CA.
    tls: tls ? (config.REDIS_TLS_CA ? { ca: readFileSync(config.REDIS_TLS_CA, 'utf8') } : {}) : undefined,
    keyPrefix: config.REDIS_KEY_PREFIX,
    connectionName: config.SERVICE_NAME,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: config.REDIS_COMMAND_TIMEOUT_MS * 2,
    // At most 1 s between attempts, so a returning Redis is in use again within about a second.
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    // After an ElastiCache failover the old primary, now a replica, answers writes with
    // READONLY while the connection stays up: reconnect, so the endpoint's DNS leads to the
    // new primary. The failed command is not resent (2 would): the request answers 503.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    Connector: GuardedConnector
  }
}

/**
 * ioredis listens for a socket's first error only (`once`), but a TLS socket can emit two: a
 * certificate the client refuses, then the peer's alert in reply (seen when the client is
 * closed during the handshake), or a reset after a failed handshake. The second one, with no
 * listener, would crash the process (redis/ioredis#961). This connector keeps a listener on
 * every socket it opens; ioredis still gets and reports the first error, which is the cause.
 */
class GuardedConnector extends standalone.default {
  constructor (options: unknown) {
    super(options as StandaloneConnectionOptions)
  }

  override async connect (onError: ErrorEmitter) {
    const stream = await super.connect(onError)
    stream.on('error', () => { /* after its first error the socket is already dead */ })
    return stream
  }
}

export function redisHost (config: Config): string {
  if (usesEmbeddedCache(config)) return 'embedded'
  return redisOptions(config).host as string
}
