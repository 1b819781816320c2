import { readFileSync } from 'node:fs'
import type { ClientBase, ClientConfig, PoolConfig } from 'pg'
import { usesEmbeddedDatabase, type Config } from '../config/load.ts'

/** Where an embedded database listens (plugins/app/embedded-database.ts). */
export interface EmbeddedAddress { host: string, port: number }

/**
 * Where and how to connect, for every connection the service opens: the request pool, the
 * migration session and the readiness check. TLS as configured (config/schema.ts resolved
 * DATABASE_URL's sslmode into DB_SSL). With an embedded database, its loopback address.
 */
export function connectionOptions (config: Config, embedded?: EmbeddedAddress | null): ClientConfig {
  const connection: ClientConfig = embedded
    ? { host: embedded.host, port: embedded.port, database: 'postgres', user: 'postgres' }
    : config.DATABASE_URL
      ? { connectionString: config.DATABASE_URL }
      : {
          host: config.DB_HOST ?? 'localhost',
          port: config.DB_PORT,
          database: config.DB_NAME,
          user: config.DB_USER,
          password: config.DB_PASSWORD
        }
  return {
    ...connection,
    ssl: embedded ? false : sslOptions(config),
    application_name: config.SERVICE_NAME,
    // Waiting for the server to answer a connect is bounded, so an unreachable database turns
    // into a prompt 503 (or a failed readiness check), not a hung request.
    connectionTimeoutMillis: config.DB_CONNECTION_TIMEOUT_MS,
    keepAlive: true
  }
}

/**
 * pg pool options of the request pool: every query bounded. With an embedded database, the
 * same pool connects to it instead.
 */
export function poolOptions (config: Config, embedded?: EmbeddedAddress | null): PoolConfig {
  return {
    ...connectionOptions(config, embedded),
    // PGlite has one session that every socket connection shares, so two pooled connections
    // would collide on the named prepared statements; it runs one query at a time anyway.
    max: embedded ? 1 : config.DB_POOL_MAX,
    // That session also outlives a pooled connection, and so do the statements it prepared:
    // a new connection starts by forgetting them, or preparing them again would fail.
    ...(embedded ? { onConnect: resetEmbeddedSession } : {}),
    idleTimeoutMillis: 30_000,
    statement_timeout: config.DB_STATEMENT_TIMEOUT_MS,
    // The client gives up a little after the server should have: covers a server that stopped answering.
    query_timeout: config.DB_STATEMENT_TIMEOUT_MS + 1_000,
    idle_in_transaction_session_timeout: config.DB_STATEMENT_TIMEOUT_MS * 2
  }
}

/**
 * Ends a connection of the service's own (migrations, readiness, retention) without ever
 * waiting long: pg's end() waits for the socket's 'end', which a connection that failed during
 * its TLS handshake may never emit. Never rejects.
 */
export async function endQuietly (client: { end (): Promise<void> }, ms = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    client.end().catch(() => {}),
    new Promise((resolve) => { timer = setTimeout(resolve, ms) })
  ])
  clearTimeout(timer)
}

async function resetEmbeddedSession (client: ClientBase): Promise<void> {
  await client.query('DEALLOCATE ALL')
}

function sslOptions (config: Config): ClientConfig['ssl'] {
  switch (config.DB_SSL) {
    // Encrypted, but any certificate is accepted: only where the network itself is trusted.
    case 'require': return { rejectUnauthorized: false }
    // Node checks the chain against the CA bundle and the certificate's names against the host.
    case 'verify-full': return { rejectUnauthorized: true, ca: readFileSync(config.DB_SSL_CA as string, 'utf8') }
    default: return false
  }
}

/** Where the database is, for logs and /api/info: the host only, never a password. */
export function databaseHost (config: Config): string {
  if (usesEmbeddedDatabase(config)) return 'embedded'
  if (config.DATABASE_URL) {
    try {
      return new URL(config.DATABASE_URL).hostname || 'localhost'
    } catch {
      return 'unknown'
    }
  }
  return config.DB_HOST ?? 'localhost'
}

/** What the service connects to, for the start-up log: host, port, database and user, never a password. */
export function databaseTarget (config: Config): { host: string, port: number, database: string, user: string, tls: string } {
  let url: URL | undefined
  try {
    url = config.DATABASE_URL ? new URL(config.DATABASE_URL) : undefined
  } catch {}
  return {
    host: databaseHost(config),
    port: url?.port ? Number(url.port) : config.DATABASE_URL ? 5432 : config.DB_PORT,
    database: url ? decodeURIComponent(url.pathname.slice(1)) || (url.username ? decodeURIComponent(url.username) : 'postgres') : config.DB_NAME,
    user: url ? decodeURIComponent(url.username) || 'postgres' : config.DB_USER,
    tls: config.DB_SSL ?? 'disable'
  }
}
