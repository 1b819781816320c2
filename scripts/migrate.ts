// `npm run migrate`: applies pending migrations to the configured database and exits.
// Safe to run while instances start: they and this script take the same advisory lock.
import pg from 'pg'
import { loadConfig, usesEmbeddedDatabase } from '../schemas/config.ts'
import { poolOptions } from '../lib/database-options.ts'
import { migrate } from '../lib/migrate.ts'

try {
  const config = loadConfig(process.env)
  if (usesEmbeddedDatabase(config)) {
    throw new Error('no DATABASE_URL or DB_HOST: the embedded database is migrated by the service itself when it starts')
  }
  const pool = new pg.Pool({ ...poolOptions(config), max: 1 })
  const client = await pool.connect()
  try {
    const applied = await migrate(client)
    console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'schema up to date')
  } finally {
    client.release(true)
    await pool.end()
  }
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`)
  process.exitCode = 1
}
