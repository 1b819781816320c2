import { accessSync, constants } from 'node:fs'
import type { Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, SslMode, type Config } from './schema.ts'

export { ConfigSchema, type Config }

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
  config.DOCS ??= config.NODE_ENV !== 'production'
  resolveDatabaseTls(config)
  for (const name of ['DB_SSL_CA', 'REDIS_TLS_CA'] as const) {
    const file = config[name]
    if (file && !readable(file)) throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(file)}: no readable CA file there`)
  }
  return config
}

function readable (file: string): boolean {
  try {
    accessSync(file, constants.R_OK)
    return true
  } catch {
    return false
  }
}

// libpq's names in a connection string, and what they mean here. `allow`, `prefer` (TLS only if
// the server offers it) and `verify-ca` (no name check) are refused: say what is meant.
const URL_SSL_MODES: Record<string, Static<typeof SslMode>> = { disable: 'disable', require: 'require', 'verify-full': 'verify-full' }
const URL_TLS_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat']

/**
 * One TLS setting for the database, whichever way it was given: `sslmode`/`sslrootcert` in
 * DATABASE_URL are moved into DB_SSL/DB_SSL_CA (and out of the URL, so pg does not read them
 * again its own way); given both ways and different, start-up stops. verify-full needs a CA.
 */
function resolveDatabaseTls (config: Config): void {
  if (config.DATABASE_URL && URL_TLS_PARAMS.some((p) => config.DATABASE_URL?.includes(p))) {
    let url: URL
    try {
      url = new URL(config.DATABASE_URL)
    } catch {
      throw new ConfigError('Invalid configuration: DATABASE_URL is not a URL')
    }
    for (const param of ['sslcert', 'sslkey', 'ssl', 'uselibpqcompat']) {
      if (url.searchParams.has(param)) throw new ConfigError(`Invalid configuration: DATABASE_URL ${param}= is not supported: use DB_SSL and DB_SSL_CA`)
    }
    const sslmode = url.searchParams.get('sslmode')
    if (sslmode !== null) {
      const mode = URL_SSL_MODES[sslmode]
      if (!mode) throw new ConfigError(`Invalid configuration: DATABASE_URL sslmode=${sslmode} is not supported: use disable, require or verify-full`)
      if (config.DB_SSL && config.DB_SSL !== mode) throw new ConfigError(`Invalid configuration: DATABASE_URL sslmode=${sslmode} contradicts DB_SSL=${config.DB_SSL}: set one of them`)
      config.DB_SSL = mode
    }
    const rootcert = url.searchParams.get('sslrootcert')
    if (rootcert !== null) {
      if (config.DB_SSL_CA && config.DB_SSL_CA !== rootcert) throw new ConfigError(`Invalid configuration: DATABASE_URL sslrootcert=${rootcert} contradicts DB_SSL_CA=${config.DB_SSL_CA}: set one of them`)
      config.DB_SSL_CA = rootcert
    }
    url.searchParams.delete('sslmode')
    url.searchParams.delete('sslrootcert')
    config.DATABASE_URL = url.toString()
  }
  config.DB_SSL ??= 'disable'
  if (config.DB_SSL === 'verify-full' && !config.DB_SSL_CA) {
    throw new ConfigError('Invalid configuration: DB_SSL_CA is required when DB_SSL=verify-full: the PEM bundle of the CA that signed the database\'s certificate (on RDS, the RDS CA bundle: docs/architecture.md, "TLS to RDS and ElastiCache")')
  }
}

/** No database configured (outside production): the service runs an embedded PostgreSQL. */
export function usesEmbeddedDatabase (config: Config): boolean {
  return !config.DATABASE_URL && !config.DB_HOST
}

/** No Redis configured (outside production): the cache is an in-process store. */
export function usesEmbeddedCache (config: Config): boolean {
  return !config.REDIS_URL && !config.REDIS_HOST
}
