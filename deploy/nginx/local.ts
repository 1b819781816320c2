// The project's nginx configuration rendered as the image renders it (render.sh) and run with
// the machine's nginx binary on loopback, in front of instances of the service: for the nginx
// tests, the horizontal-scale test and the benchmark.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'

export async function freePort (): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface LocalNginx {
  /** http://127.0.0.1:PORT */
  base: string
  accessLog (): string
  errorLog (): string
  stop (): Promise<void>
}

/**
 * nginx on a free loopback port with `upstreams` (host:port of each instance) as the app.
 * `env` sets the image's other variables (NGINX_RATE_LIMIT, ...).
 */
export async function startLocalNginx (upstreams: string[], env: Record<string, string> = {}): Promise<LocalNginx> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'))
  await promisify(execFile)(join(import.meta.dirname, 'render.sh'), [dir], {
    env: { ...process.env, NGINX_RATE_LIMIT: '50r/s', NGINX_RATE_BURST: '100', ...env, APP_UPSTREAM: upstreams.join(','), NGINX_PORT: String(port) }
  })
  // nginx opens /dev/stdout itself for its access log: give it a file (a pipe from spawn is a socket).
  const accessLogFile = join(dir, 'access.log')
  const errorLogFile = join(dir, 'error.log')
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', openSync(accessLogFile, 'w'), openSync(errorLogFile, 'w')] })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      if ((await fetch(`${base}/nginx-health`)).ok) break
    } catch {}
    if (Date.now() > deadline || nginx.exitCode !== null) throw new Error(`nginx did not start:\n${readFileSync(errorLogFile, 'utf8')}`)
    await sleep(100)
  }
  return {
    base,
    accessLog: () => readFileSync(accessLogFile, 'utf8'),
    errorLog: () => readFileSync(errorLogFile, 'utf8'),
    async stop () {
      if (nginx.exitCode === null) {
        nginx.kill('SIGQUIT')
        await once(nginx, 'exit')
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
