// `npm run bench:profile -- [PATH] [--method POST] [--duration S] [--telemetry]`: the service
// under `node --cpu-prof` while autocannon loads one endpoint; prints where the CPU went, by
// function (self time) and by package. The .cpuprofile is kept for Chrome DevTools.
// `--telemetry`: as in production, traces and metrics exported (to bench/otlp-sink.ts), 10 % of
// traces sampled.
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildService, freshDatabase, load, ROOT, SERVERS, startNode, startService } from './lib.ts'

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    method: { type: 'string', default: 'GET' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    telemetry: { type: 'boolean', default: false }
  }
})
const path = positionals[0] ?? '/'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

buildService()
const databaseUrl = await freshDatabase(SERVERS.adminUrl, 'ecs_bench_profile')
const dir = mkdtempSync(join(tmpdir(), 'cpuprofile-'))
const sink = args.telemetry ? await startNode(['bench/otlp-sink.ts'], {}, '/') : undefined
const telemetry: Record<string, string> = sink ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.base, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } : {}
const app = await startService(databaseUrl, { REDIS_KEY_PREFIX: 'bench-profile:', ...telemetry }, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
const target = { name: `${args.method} ${path}`, method: args.method as 'GET', path, body: args.method === 'POST' ? (n: number) => `{"username":"p$RUN_${n}"}` : undefined }
await load(app.base, target, Number(args.connections), 2)
const m = await load(app.base, target, Number(args.connections), Number(args.duration))
await app.stop()
await sink?.stop()

const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) as string)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const selfTime = new Map<number, number>()
profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const total = [...selfTime.values()].reduce((a, b) => a + b, 0)
const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
for (const node of profile.nodes) {
  const time = selfTime.get(node.id) ?? 0
  const { functionName, url, lineNumber } = node.callFrame
  const where = url.replace(/^file:\/\//, '').replace(ROOT + '/', '')
  const key = `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + time)
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('node:') ? 'node core' : where === '' ? functionName.startsWith('(') ? functionName : 'native' : 'service')
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time)
}
const top = (map: Map<string, number>, n: number) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  .map(([k, v]) => `  ${(v / total * 100).toFixed(1).padStart(5)} %  ${k}`).join('\n')
console.log(`${target.name}: ${m.rps} req/s, p99 ${m.p99} ms while profiled\n\nby package (self time):\n${top(byPackage, 15)}\n\nby function (self time):\n${top(byFunction, 25)}\n\nprofile: ${file}`)
