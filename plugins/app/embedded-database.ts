import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { usesEmbeddedDatabase } from '../../config/load.ts'

export interface EmbeddedDatabase {
  /** Where the pool connects: a loopback port of this process. */
  readonly host: string
  readonly port: number
  /** The data directory, or `:memory:`. */
  readonly dataDir: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The embedded PostgreSQL when no database is configured, else null. */
    embeddedDatabase: EmbeddedDatabase | null
  }
}

// The pool holds one connection (see lib/database-options.ts); the rest are for `psql` or a
// test's own client. pglite-socket's default of 1 would refuse them.
const MAX_CONNECTIONS = 8

function running (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * PGlite has no lock of its own, and two processes writing one data directory would corrupt
 * it (`npm start` beside `npm run dev`, say): a pid file beside the directory keeps a second
 * process out, and a stale one (its process gone) is taken over. Returns the release.
 */
function lockDataDir (dataDir: string): () => void {
  const file = `${dataDir}.lock`
  mkdirSync(dirname(file), { recursive: true })
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const owner = Number(readFileSync(file, 'utf8'))
    if (owner && owner !== process.pid && running(owner)) {
      throw new Error(`EMBEDDED_DATABASE_DIR ${dataDir} is in use by process ${owner}: the embedded database allows one process per data directory`)
    }
    writeFileSync(file, String(process.pid))
  }
  return () => {
    if (Number(readFileSync(file, 'utf8')) === process.pid) rmSync(file, { force: true })
  }
}

/**
 * With no DATABASE_URL or DB_HOST outside production, runs PostgreSQL in this process: PGlite
 * (PostgreSQL compiled to WebAssembly) behind pglite-socket on a free loopback port. The pool,
 * the SQL and the migrations are the same as with a real server; only the address differs.
 */
export default fp(async function embeddedDatabase (fastify: FastifyInstance) {
  const { config } = fastify
  if (!usesEmbeddedDatabase(config)) {
    fastify.decorate('embeddedDatabase', null)
    return
  }

  // Loaded only here, so a production process never loads the WebAssembly build.
  const { PGlite } = await import('@electric-sql/pglite')
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket')
  const dataDir = config.EMBEDDED_DATABASE_DIR === ':memory:' ? ':memory:' : resolve(config.EMBEDDED_DATABASE_DIR)
  const unlock = dataDir === ':memory:' ? () => {} : lockDataDir(dataDir)
  if (dataDir !== ':memory:') mkdirSync(dataDir, { recursive: true })
  const db = await PGlite.create(dataDir === ':memory:' ? 'memory://' : dataDir)
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: MAX_CONNECTIONS })
  try {
    await server.start()
  } catch (err) {
    await db.close()
    unlock()
    throw err
  }
  const port = Number(server.getServerConn().split(':').pop())
  fastify.decorate('embeddedDatabase', { host: '127.0.0.1', port, dataDir })
  fastify.log.info({ dataDir, port }, 'no DATABASE_URL or DB_HOST: using the embedded PostgreSQL (PGlite)')

  // Registered before the pool, so closed after it: the pool's connections end first.
  fastify.addHook('onClose', async () => {
    await server.stop()
    await db.close()
    unlock()
  })
}, { name: 'embedded-database', dependencies: ['config'] })
