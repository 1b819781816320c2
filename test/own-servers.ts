import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { freePort } from '../deploy/nginx/local.ts'

const run = promisify(execFile)

function postgresBinDir (): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')))
  if (!dir) throw new Error('the fault tests start PostgreSQL servers of their own: install Debian\'s postgresql package (initdb, pg_ctl)')
  return dir
}

/**
 * A throwaway PostgreSQL server of the test's own (Debian's initdb and pg_ctl) on a free
 * loopback port, with trust auth, so a test can crash, stop and restart it without touching
 * the run's shared server. PostgreSQL refuses to run as root: as root it runs as `postgres`.
 */
export class OwnPostgres {
  readonly #dir: string
  readonly #bin = postgresBinDir()
  readonly port: number
  readonly #asRoot = userInfo().uid === 0

  private constructor (dir: string, port: number) {
    this.#dir = dir
    this.port = port
  }

  static async create (): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'own-postgres-'))
    const server = new OwnPostgres(dir, await freePort())
    if (server.#asRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout), Number((await run('id', ['-g', 'postgres'])).stdout))
    await server.#pg('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'])
    return server
  }

  url (database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`
  }

  async start (): Promise<void> {
    await this.#pg('pg_ctl', ['-D', join(this.#dir, 'data'), '-l', join(this.#dir, 'log'), '-w', '-t', '30', 'start',
      '-o', `-p ${this.port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`])
  }

  /** A crash: every backend killed at once, no shutdown checkpoint (pg_ctl stop -m immediate). */
  async kill (): Promise<void> {
    await this.#pg('pg_ctl', ['-D', join(this.#dir, 'data'), '-w', '-m', 'immediate', 'stop'])
  }

  async stop (): Promise<void> {
    await this.#pg('pg_ctl', ['-D', join(this.#dir, 'data'), '-w', '-m', 'fast', 'stop']).catch(() => {})
  }

  async destroy (): Promise<void> {
    await this.stop()
    rmSync(this.#dir, { recursive: true, force: true })
  }

  async #pg (program: string, args: string[]): Promise<void> {
    const file = join(this.#bin, program)
    await (this.#asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args))
  }
}

/**
 * A throwaway redis-server of the test's own on a free loopback port. Its append-only file
 * is written on every command, so like a Redis with persistence it comes back from a crash
 * with its data.
 */
export class OwnRedis {
  readonly #dir = mkdtempSync(join(tmpdir(), 'own-redis-'))
  #process?: ChildProcess
  port = 0

  static async create (): Promise<OwnRedis> {
    const server = new OwnRedis()
    server.port = await freePort()
    return server
  }

  url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start (): Promise<void> {
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.#dir], { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      if (await this.#answers()) return
      await sleep(50)
    }
    throw new Error('redis-server did not start')
  }

  /** A crash: SIGKILL, nothing flushed beyond what is already on disk. */
  async kill (): Promise<void> {
    const child = this.#process
    if (!child || child.exitCode !== null) return
    child.kill('SIGKILL')
    await once(child, 'exit')
  }

  async destroy (): Promise<void> {
    await this.kill()
    rmSync(this.#dir, { recursive: true, force: true })
  }

  async #answers (): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1')
      socket.once('connect', () => socket.write('PING\r\n'))
      socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
      socket.once('error', () => resolve(false))
    })
  }
}
