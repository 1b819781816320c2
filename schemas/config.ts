import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const port = (fallback: number, minimum = 1) => Type.Integer({ minimum, maximum: 65535, default: fallback })
const millis = (fallback: number) => Type.Integer({ minimum: 1, maximum: 600_000, default: fallback })
const flag = (fallback: boolean) => Type.Boolean({ default: fallback })

// Every variable the service reads. Names and defaults of the Flask service are kept
// (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD, REDIS_HOST, REDIS_PORT).
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  SERVICE_NAME: Type.String({ minLength: 1, default: 'ecs-microservice' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  PORT: port(3000, 0), // 0: any free port (tests)
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  // Comma-separated addresses or CIDRs whose X-Forwarded-For is believed (proxy-addr syntax,
  // including the names loopback, linklocal, uniquelocal). Default: nginx in the same task or VPC.
  TRUST_PROXY: Type.String({ default: 'loopback,uniquelocal' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 104_857_600, default: 1_048_576 }),
  // ALB idle timeout (60 s) < nginx keepalive (65 s) < this, so the app never closes a
  // connection that a proxy is about to reuse.
  KEEP_ALIVE_TIMEOUT_MS: millis(75_000),
  // ECS sends SIGTERM and SIGKILLs 30 s later (stopTimeout); leave room for the flush.
  SHUTDOWN_TIMEOUT_MS: millis(20_000),
  // Before closing, serve on this long with `Connection: close`, so keep-alive clients leave
  // by themselves instead of racing a reset (plugins/shutdown.ts).
  SHUTDOWN_DRAIN_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000 }),

  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  DB_HOST: Type.Optional(Type.String({ minLength: 1 })),
  DB_PORT: port(5432),
  DB_NAME: Type.String({ minLength: 1, default: 'postgres' }),
  DB_USER: Type.String({ minLength: 1, default: 'postgres' }),
  DB_PASSWORD: Type.Optional(Type.String()),
  // disable | require (encrypt, RDS default) | verify-full (encrypt and check the CA in DB_SSL_CA)
  DB_SSL: Type.Union([Type.Literal('disable'), Type.Literal('require'), Type.Literal('verify-full')], { default: 'disable' }),
  DB_SSL_CA: Type.Optional(Type.String({ minLength: 1 })),
  // 10 per process: see README "Pool size" for the measurement that chose it.
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  DB_CONNECTION_TIMEOUT_MS: millis(2_000),
  DB_STATEMENT_TIMEOUT_MS: millis(5_000),
  DB_MIGRATE_ON_START: flag(true),
  // With neither DATABASE_URL nor DB_HOST (never in production): the embedded PostgreSQL
  // (PGlite) keeps its data here; `:memory:` keeps nothing.
  EMBEDDED_DATABASE_DIR: Type.String({ minLength: 1, default: '.data/pglite' }),

  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_HOST: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_PORT: port(6379),
  REDIS_PASSWORD: Type.Optional(Type.String()),
  REDIS_TLS: flag(false),
  REDIS_DB: Type.Integer({ minimum: 0, maximum: 15, default: 0 }),
  REDIS_KEY_PREFIX: Type.String({ default: '' }),
  REDIS_COMMAND_TIMEOUT_MS: millis(1_000),

  // Visits are buffered and written in batches; see README "Visits".
  VISITS_FLUSH_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 250, default: 100 }),
  VISITS_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 2_000 }),
  VISITS_BUFFER_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 50_000 }),

  MAX_EVENT_LOOP_DELAY_MS: millis(1_000),
  DOCS: flag(true)
})

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/**
 * Reads the configuration once from an environment-shaped object: defaults applied, strings
 * converted, and the first wrong variable named in the error that stops start-up.
 */
export function loadConfig (env: Record<string, string | undefined> = {}): Config {
  const keys = Object.keys(ConfigSchema.properties)
  const raw: Record<string, unknown> = {}
  for (const key of keys) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const converted = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw))
  const error = Value.Errors(ConfigSchema, converted).First()
  if (error) {
    const name = error.path.split('/')[1] || '(configuration)'
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(env[name] ?? null)}: ${error.message}`)
  }
  const config = converted as Config
  // The embedded database and cache are for a first run and development, never production.
  if (config.NODE_ENV === 'production') {
    if (usesEmbeddedDatabase(config)) {
      throw new ConfigError('Invalid configuration: DATABASE_URL or DB_HOST is required when NODE_ENV=production (the embedded database never runs in production)')
    }
    if (usesEmbeddedCache(config)) {
      throw new ConfigError('Invalid configuration: REDIS_URL or REDIS_HOST is required when NODE_ENV=production (the in-process cache never runs in production)')
    }
  }
  if (config.DB_SSL === 'verify-full' && !config.DB_SSL_CA) {
    throw new ConfigError('Invalid configuration: DB_SSL_CA is required when DB_SSL=verify-full')
  }
  return config
}

/** No database configured (outside production): the service runs an embedded PostgreSQL. */
export function usesEmbeddedDatabase (config: Config): boolean {
  return !config.DATABASE_URL && !config.DB_HOST
}

/** No Redis configured (outside production): the cache is an in-process store. */
export function usesEmbeddedCache (config: Config): boolean {
  return !config.REDIS_URL && !config.REDIS_HOST
}
