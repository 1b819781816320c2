// The test file's own data: a database on the run's PostgreSQL (or an embedded data directory),
// a Redis key prefix, and reading what the service wrote there.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type pg from 'pg'
import { Redis } from 'ioredis'
import { PGlite } from '@electric-sql/pglite'
import tap from 'tap'
import { serversMode, testServers } from '../setup/servers.ts'
import { sql } from './sql.ts'

// Each test file (one process) gets its own database and Redis key prefix, so files run in parallel.
const runId = `${basename(process.argv[1] ?? 'test', '.ts').replace(/\W/g, '_').toLowerCase()}_${process.pid}_${randomBytes(3).toString('hex')}`

/**
 * The back end the contract tests run on: the run's PostgreSQL and Redis servers, or, with
 * TEST_BACKEND=embedded (test/embedded/) or when the run found no servers, the embedded
 * PostgreSQL and in-process cache the service uses when none is configured. One set of tests,
 * two back ends.
 */
export const backend: 'servers' | 'embedded' = process.env.TEST_BACKEND === 'embedded' || serversMode() === 'none' ? 'embedded' : 'servers'

export const keyPrefix = `test:${runId}:`

let database: Promise<string> | undefined
let embeddedDir: string | undefined

/** This test file's embedded data directory, kept across its apps like its own database is. */
export function embeddedDatabaseDir (): string {
  if (!embeddedDir) {
    const dir = mkdtempSync(join(tmpdir(), `pglite-${runId}-`))
    tap.teardown(() => rmSync(dir, { recursive: true, force: true }))
    embeddedDir = dir
  }
  return embeddedDir
}

/** A database of this test file's own, on the run's PostgreSQL, dropped when the file ends. */
export function testDatabaseUrl (): Promise<string> {
  database ??= newDatabase()
  return database
}

let databases = 0

/** Another empty database on the run's PostgreSQL, dropped when the file ends. */
export async function newDatabase (): Promise<string> {
  const admin = testServers().databaseUrl
  const name = `t_${runId}`.slice(0, 58) + (databases++ === 0 ? '' : `_${databases}`)
  await sql(admin, `CREATE DATABASE "${name}"`)
  tap.teardown(() => sql(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  const url = new URL(admin)
  url.pathname = `/${name}`
  return url.toString()
}

/** Deletes this file's Redis keys (its prefix) on the run's Redis. */
export async function clearKeys (): Promise<void> {
  const redis = new Redis(testServers().redisUrl)
  try {
    const keys = await redis.keys(`${keyPrefix}*`)
    if (keys.length) await redis.del(...keys)
  } finally {
    await redis.quit()
  }
}

/** The embedded databases of this file's running apps (their PostgreSQL sockets), for query(). */
export const openEmbedded = new Set<{ host: string, port: number }>()

/**
 * Reads what the service wrote in this file's database: through a pg client of its own, or,
 * on the embedded back end, through the running app's socket (or the data directory itself
 * once the app has closed).
 */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>> (text: string, values: unknown[] = []): Promise<T[]> {
  if (backend === 'embedded' && openEmbedded.size === 0) {
    const db = await PGlite.create(embeddedDatabaseDir())
    try {
      return (await db.query<T>(text, values)).rows
    } finally {
      await db.close()
    }
  }
  const [running] = openEmbedded
  const url = backend === 'embedded' ? `postgres://postgres@${running.host}:${running.port}/postgres` : await testDatabaseUrl()
  return sql<T>(url, text, values)
}
