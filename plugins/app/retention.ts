import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { connectionOptions, endQuietly } from '../../lib/database-options.ts'
import { BackgroundLoop } from '../../lib/background-loop.ts'

declare module 'fastify' {
  interface FastifyInstance {
    retention: {
      /** Deletes the visits older than VISITS_RETENTION_DAYS now; resolves to how many. */
      run (): Promise<number>
    }
  }
}

// One instance at a time deletes: the others find the lock taken and skip that round.
const RETENTION_LOCK = 727_100_002
// Between batches, at least as long as the batch took: the deletion uses the database at most
// half the time, leaving room for the requests' own writes (bench/README.md, "Readiness and retention": with
// back-to-back batches POST /api/users fell to 46 % of its rate while 2 million rows went).
const MIN_PAUSE_MS = 20
const FIRST_ROUND_MS = 60_000

// A batch is any rows past the cutoff, deleted by id. Unordered, the scan stops at the first
// $2 it finds, and old rows sit at the front of an append-mostly table (ORDER BY id walked the
// primary key past every newer row first: 207 against 25 ms a batch, measured).
export const DELETE_OLD_VISITS = `
DELETE FROM visits WHERE id = ANY (ARRAY(
  SELECT id FROM visits WHERE visited_at < now() - make_interval(days => $1) LIMIT $2
))`
// The Flask service's visits kept aside by migration 002 hold client addresses too.
export const DELETE_OLD_FLASK_VISITS = `
DELETE FROM flask_visits WHERE id = ANY (ARRAY(
  SELECT id FROM flask_visits WHERE "timestamp" < (now() AT TIME ZONE 'UTC') - make_interval(days => $1) LIMIT $2
))`

/**
 * Data retention: visits (which hold client IP addresses) older than VISITS_RETENTION_DAYS are
 * deleted in the background every VISITS_RETENTION_INTERVAL_MS, in batches of
 * VISITS_RETENTION_BATCH_SIZE, on a connection of its own (never one of the request pool).
 * total_visits and the per-endpoint totals do not change: they are running totals.
 */
export default fp(async function retention (fastify: FastifyInstance) {
  const { config, log } = fastify
  const loop = new BackgroundLoop(async () => {
    await run()
    return config.VISITS_RETENTION_INTERVAL_MS
  })

  async function deleteAll (client: pg.Client, statement: string): Promise<number> {
    let deleted = 0
    for (;;) {
      const started = Date.now()
      const { rowCount } = await client.query(statement, [config.VISITS_RETENTION_DAYS, config.VISITS_RETENTION_BATCH_SIZE])
      deleted += rowCount ?? 0
      if ((rowCount ?? 0) < config.VISITS_RETENTION_BATCH_SIZE || loop.stopping) return deleted
      await sleep(Math.max(MIN_PAUSE_MS, Date.now() - started))
    }
  }

  async function run (): Promise<number> {
    if (config.VISITS_RETENTION_DAYS === 0 || !fastify.migrations.ready) return 0
    const client = new pg.Client({ ...connectionOptions(config, fastify.embeddedDatabase), application_name: `${config.SERVICE_NAME} retention` })
    client.on('error', (err) => log.warn({ err }, 'retention connection lost'))
    const started = Date.now()
    try {
      await client.connect()
      const { rows: [{ locked }] } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK])
      if (!locked) return 0
      const { rows: [{ flask }] } = await client.query<{ flask: string | null }>("SELECT to_regclass('flask_visits')::text AS flask")
      const deleted = await deleteAll(client, DELETE_OLD_VISITS) + (flask ? await deleteAll(client, DELETE_OLD_FLASK_VISITS) : 0)
      if (deleted > 0) log.info({ deleted, retentionDays: config.VISITS_RETENTION_DAYS, ms: Date.now() - started }, 'old visits deleted')
      return deleted
    } catch (err) {
      log.warn({ err }, 'old visits could not be deleted this time')
      return 0
    } finally {
      await endQuietly(client)
    }
  }

  fastify.decorate('retention', {
    run () {
      return loop.track(run())
    }
  })

  // The first round within a minute of start-up (spread over instances), so a service that is
  // redeployed more often than every interval still deletes.
  fastify.addHook('onReady', async () => {
    if (config.VISITS_RETENTION_DAYS > 0) loop.after(Math.min(FIRST_ROUND_MS, config.VISITS_RETENTION_INTERVAL_MS) * (0.5 + Math.random() / 2))
  })
  fastify.addHook('onClose', async () => { await loop.stop() })
}, { name: 'retention', dependencies: ['config', 'migrations', 'embedded-database'] })
