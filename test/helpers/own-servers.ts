import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { freePort } from '../../deploy/nginx/local.ts'

const run = promisify(execFile)

function postgresBinDir (): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')))
  if (!dir) throw new Error('the fault tests start PostgreSQL servers of their own: install Debian\'s postgresql package (initdb, pg_ctl)')
  return dir
}

/** PEM files of a test CA and of a server certificate it signed for 127.0.0.1 and localhost. */
export interface Certificates { dir: string, ca: string, cert: string, key: string }

/**
 * A CA made for the test (openssl) and a server certificate it signed, valid for 127.0.0.1 and
 * localhost; files readable by `owner` (PostgreSQL wants its key private to itself).
 */
export async function makeCertificates (owner?: 'postgres'): Promise<Certificates> {
  const dir = mkdtempSync(join(tmpdir(), 'test-ca-'))
  const file = (name: string) => join(dir, name)
  const openssl = (args: string[]) => run('openssl', args)
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=Test CA'])
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost'])
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  await openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.pem'), '-days', '2', '-extfile', file('san.ext')])
  chmodSync(file('server.key'), 0o600)
  if (owner && userInfo().uid === 0) {
    const [uid, gid] = await Promise.all([run('id', ['-u', owner]), run('id', ['-g', owner])])
    for (const name of ['', 'server.key', 'server.pem', 'ca.pem']) chownSync(join(dir, name), Number(uid.stdout), Number(gid.stdout))
  }
  return { dir, ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') }
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
  readonly #tls?: Certificates

  private constructor (dir: string, port: number, tls?: Certificates) {
    this.#dir = dir
    this.port = port
    this.#tls = tls
  }

  /** With `tls`, the server also accepts TLS with that certificate (clients choose). */
  static async create ({ tls }: { tls?: Certificates } = {}): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'own-postgres-'))
    const server = new OwnPostgres(dir, await freePort(), tls)
    if (server.#asRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout), Number((await run('id', ['-g', 'postgres'])).stdout))
    await server.#pg('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'])
    return server
  }

  url (database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`
  }

  async start (): Promise<void> {
    await this.#pg('pg_ctl', ['-D', join(this.#dir, 'data'), '-l', join(this.#dir, 'log'), '-w', '-t', '30', 'start',
      '-o', `-p ${this.port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50${this.#tlsOptions()}`])
  }

  #tlsOptions (): string {
    return this.#tls ? ` -c ssl=on -c ssl_cert_file=${this.#tls.cert} -c ssl_key_file=${this.#tls.key}` : ''
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
  #tls?: Certificates
  port = 0

  /** With `tls`, the server speaks only TLS, with that certificate. */
  static async create ({ tls }: { tls?: Certificates } = {}): Promise<OwnRedis> {
    const server = new OwnRedis()
    server.port = await freePort()
    server.#tls = tls
    return server
  }

  url (): string {
    return `${this.#tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`
  }

  /** A redis-cli-like command on this server: `CONFIG SET`, `REPLICAOF`... (plain servers only). */
  async command (...args: string[]): Promise<string> {
    return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args])).stdout.trim()
  }

  async start (): Promise<void> {
    const listen = this.#tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.#tls.cert, '--tls-key-file', this.#tls.key,
          '--tls-ca-cert-file', this.#tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)]
    this.#process = spawn('redis-server', [...listen, '--bind', '127.0.0.1', '--save', '',
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
      const socket = this.#tls
        ? tls.connect({ port: this.port, host: '127.0.0.1', ca: readFileSync(this.#tls.ca) })
        : net.connect(this.port, '127.0.0.1')
      socket.once(this.#tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'))
      socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
      socket.once('error', () => resolve(false))
    })
  }
}
