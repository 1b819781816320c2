import { join } from 'node:path'
import Postgrator from 'postgrator'
import type { PoolClient } from 'pg'

// Built code runs from dist/, and the build copies migrations/ there: the same relative path.
const MIGRATIONS = join(import.meta.dirname, '..', 'migrations', '*.sql')

// Any constant will do; it only has to be the same for every instance of the service.
const MIGRATION_LOCK = 727_100_001

/**
 * Applies every pending migration in migrations/ on a dedicated connection, under a session
 * advisory lock, so instances that start together apply them once, one after the other.
 * Returns the versions applied.
 */
export async function migrate (client: PoolClient): Promise<number[]> {
  // Waiting for the lock, or a long migration, must not hit the service's statement timeout.
  await client.query('SET statement_timeout = 0')
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
  try {
    const postgrator = new Postgrator({
      migrationPattern: MIGRATIONS,
      driver: 'pg',
      schemaTable: 'schemaversion',
      execQuery: (query: string) => client.query(query)
    })
    const applied = await postgrator.migrate()
    return applied.map((migration) => migration.version)
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
  }
}
