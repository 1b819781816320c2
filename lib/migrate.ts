import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Postgrator from 'postgrator'
import type { ClientBase } from 'pg'

// Built code runs from dist/, and the build copies migrations/ there: the same relative path.
const MIGRATIONS_DIR = join(import.meta.dirname, '..', 'migrations')

// Any constant will do; it only has to be the same for every instance of the service.
const MIGRATION_LOCK = 727_100_001

// Migrations rewritten after release to be safe to run again, with the same effect on a
// database that ran the first text: the checksum recorded for that text is accepted and
// replaced, so postgrator's check still catches any other edit. version: md5 of the old text.
const REWRITTEN: Record<number, string> = {
  2: 'c92bdbce410bc74178bd855a248fef0e'
}

export interface MigrateOptions {
  /**
   * statement_timeout of the migration session, which also bounds the wait for the lock:
   * 0 (the default) lets a long migration, an index on a big table say, run to completion.
   */
  timeoutMs?: number
}

/**
 * Applies every pending migration in migrations/ on `client`, a connection of its own (not
 * one of the request pool, whose query timeout would stop a long migration), under a session
 * advisory lock, so instances that start together apply them once, one after the other.
 * Each file runs as one implicit transaction; each is written to be safe to run again.
 * Returns the versions applied.
 */
export async function migrate (client: ClientBase, { timeoutMs = 0 }: MigrateOptions = {}): Promise<number[]> {
  await client.query("SELECT set_config('statement_timeout', $1, false)", [String(Math.trunc(timeoutMs))])
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
  try {
    await acceptRewrites(client)
    const postgrator = new Postgrator({
      migrationPattern: join(MIGRATIONS_DIR, '*.sql'),
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

async function acceptRewrites (client: ClientBase): Promise<void> {
  const { rows } = await client.query<{ table: string | null }>("SELECT to_regclass('schemaversion')::text AS table")
  if (!rows[0].table) return
  for (const [version, before] of Object.entries(REWRITTEN)) {
    const [file] = readdirSync(MIGRATIONS_DIR).filter((name) => name.startsWith(`${version.padStart(3, '0')}.do.`))
    const now = createHash('md5').update(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'), 'utf8').digest('hex')
    await client.query('UPDATE schemaversion SET md5 = $1 WHERE version = $2 AND md5 = $3', [now, version, before])
  }
}
