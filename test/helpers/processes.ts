// The production entry in a process of its own, as the image runs it: started, awaited, killed,
// and its log read.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import type tap from 'tap'
import type { Test } from './app.ts'

/**
 * The production entry (telemetry/preload.ts, then server.ts) in a process of its own, on a free loopback port unless
 * `env` names one; resolves once it logs that it listens (url), exits, or 30 s pass.
 */
export async function startServer (env: Record<string, string>) {
  // As the image runs it: telemetry first (it loads nothing unless an OTEL_* variable asks).
  const root = join(import.meta.dirname, '..', '..')
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(root, 'telemetry', 'preload.ts')).href, join(root, 'server.ts')], {
    // The pressure guard off, as in testConfig(): a loaded machine must not turn a test's
    // traffic into under-pressure 503s (pressure.test.ts tests the guard).
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.on('data', (chunk) => { output += chunk })
  const deadline = Date.now() + 30_000
  let url: string | undefined
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = /"msg":"Server listening at (http:\/\/127\.\d+\.\d+\.\d+:\d+)"/.exec(output)?.[1]
    await sleep(50)
  }
  return { child, url, output: () => output }
}

/**
 * Why a server answered 503, from its log: each "dependency unavailable" or "service unavailable"
 * line's error (code and message), counted. What a failing test prints, so a 503 in CI says
 * which dependency, and how, without a rerun.
 */
export function unavailableReasons (output: string): Record<string, number> {
  const reasons: Record<string, number> = {}
  for (const line of output.split('\n')) {
    if (!line.includes('unavailable"') && !line.includes('answered 503"')) continue
    try {
      const { msg, err, pressure } = JSON.parse(line) as { msg?: string, err?: { code?: string, message?: string }, pressure?: string }
      if (msg !== 'dependency unavailable' && msg !== 'service unavailable' && msg !== 'overloaded: answered 503') continue
      const reason = pressure ? `pressure: ${pressure}` : `${err?.code ?? ''} ${err?.message ?? ''}`.trim().slice(0, 200)
      reasons[reason] = (reasons[reason] ?? 0) + 1
    } catch {}
  }
  return reasons
}

/** The exit code of `child`, once it has exited (at once if it has already). */
export async function exitCode (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const [code] = await once(child, 'exit') as [number | null]
  return code
}

/**
 * startServer() for test `t`: killed when `t` ends, and (unless `healthy: false`) resolved once
 * /health answers 200. Fails `t` with the server's output when it does not listen.
 */
export async function serve (t: Test & Pick<typeof tap, 'ok' | 'comment'>, env: Record<string, string>, { healthy = true } = {}) {
  const server = await startServer(env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  if (!t.ok(server.url, 'listening')) t.comment(server.output())
  const base = server.url as string
  if (healthy) while ((await fetch(`${base}/health`)).status !== 200) await sleep(100)
  return { ...server, base }
}
