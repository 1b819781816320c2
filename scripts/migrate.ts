// `npm run migrate`: applies pending migrations to the configured database and exits (0 when
// the schema is up to date, 1 otherwise). Safe to run while instances start: they and this
// script take the same advisory lock. The ECS migration task runs this before a deploy.
// A migration is bounded only by DB_MIGRATION_TIMEOUT_MS (none by default).
import pg from 'pg'
import { loadConfig, usesEmbeddedDatabase } from '../config/load.ts'
import { connectionOptions, endQuietly } from '../lib/database-options.ts'
import { migrate } from '../lib/migrate.ts'

try {
  const config = loadConfig(process.env)
  if (usesEmbeddedDatabase(config)) {
    throw new Error('no DATABASE_URL or DB_HOST: the embedded database is migrated by the service itself when it starts')
  }
  const client = new pg.Client({ ...connectionOptions(config), application_name: `${config.SERVICE_NAME} migrations` })
  // A dropped connection rejects the pending query (reported below) instead of crashing.
  client.on('error', () => {})
  await client.connect()
  try {
    const applied = await migrate(client, { timeoutMs: config.DB_MIGRATION_TIMEOUT_MS })
    console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'schema up to date')
  } finally {
    await endQuietly(client)
  }
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`)
  process.exitCode = 1
}
