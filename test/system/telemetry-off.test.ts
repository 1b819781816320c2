// The telemetry preload with no OTEL_* variable: it validates the configuration and loads
// nothing else (no SDK, no hook, no global provider), so the service runs as without it.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const ROOT = join(import.meta.dirname, '..', '..')
const PRELOAD = pathToFileURL(join(ROOT, 'telemetry', 'preload.ts')).href
// What a process sees after the preload: OpenTelemetry's global registry and the modules loaded.
const PROBE = `console.log(JSON.stringify({
  api: Object.getOwnPropertySymbols(globalThis).some((s) => String(s).includes('opentelemetry')),
  modules: Object.keys((await import('node:module')).createRequire(import.meta.url).cache).filter((m) => m.includes('@opentelemetry') || m.includes('import-in-the-middle')).length
}))`

async function probe (env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')))
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', PRELOAD, '--input-type=module', '-e', PROBE], { cwd: ROOT, env: { ...clean, NODE_ENV: 'test', ...env } })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { api: boolean, modules: number }
}

t.test('no OTEL_* variable: nothing of OpenTelemetry is loaded', async (t) => {
  t.same(await probe({}), { api: false, modules: 0 })
})

t.test('OTEL_SDK_DISABLED=true with an endpoint: nothing either', async (t) => {
  t.same(await probe({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }), { api: false, modules: 0 })
})

t.test('an endpoint: the SDK is registered (the probe can tell)', async (t) => {
  const seen = await probe({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_METRICS_EXPORTER: 'none' })
  t.equal(seen.api, true)
  t.ok(seen.modules > 0, `${seen.modules} OpenTelemetry modules loaded`)
})
