// `npm run bench:profile -- [PATH] [--method POST] [--duration S] [--telemetry]`: the service
// under `node --cpu-prof` while autocannon loads one endpoint; prints where the CPU went, by
// function (self time), by package, and by frame with what it calls (inclusive time), each as
// its share of the main thread's busy time and in µs per request, over the measured load only
// (start-up and warm-up left out; profiling's own overhead in). The .cpuprofile is kept for
// Chrome DevTools.
// `--telemetry`: as in production, traces and metrics exported (to bench/otlp-sink.ts), 10 % of
// traces sampled.
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildService, cpuSeconds, frameOf, freshDatabase, load, sampledTenth, SERVERS, startNode, startService } from './lib.ts'

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
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[], startTime: number }

buildService()
const databaseUrl = await freshDatabase(SERVERS.adminUrl, 'ecs_bench_profile')
const dir = mkdtempSync(join(tmpdir(), 'cpuprofile-'))
const sink = args.telemetry ? await startNode(['bench/otlp-sink.ts'], {}, '/') : undefined
const telemetry = sampledTenth(sink)
const app = await startService(databaseUrl, { REDIS_KEY_PREFIX: 'bench-profile:', ...telemetry }, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
const target = { name: `${args.method} ${path}`, method: args.method as 'GET', path, body: args.method === 'POST' ? (n: number) => `{"username":"p$RUN_${n}"}` : undefined }
await load(app.base, target, Number(args.connections), 2)
// V8 stamps samples with the monotonic clock in µs, the clock process.hrtime reads.
const now = () => Number(process.hrtime.bigint() / 1000n)
const before = cpuSeconds(app)
const from = now()
const m = await load(app.base, target, Number(args.connections), Number(args.duration))
const to = now()
const cpuMicros = (cpuSeconds(app) - before) / m.requests * 1e6
await app.stop()
await sink?.stop()

const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) as string)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const keyOf = new Map<number, string>()
const packageOf = new Map<number, string>()
const parent = new Map<number, number>()
for (const node of profile.nodes) {
  const { key, pkg } = frameOf(node.callFrame)
  keyOf.set(node.id, key)
  packageOf.set(node.id, pkg)
  for (const child of node.children ?? []) parent.set(child, node.id)
}
const ours = new Set(profile.nodes.filter((node) => packageOf.get(node.id) === 'service').map((node) => keyOf.get(node.id)!))
// Self time: the sample's own frame. Inclusive: every distinct frame on its stack, once.
const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
const inclusive = new Map<string, number>()
// A hook's own share: what it calls up to Fastify's hook runner, which its done() enters to run
// the next hook (the callback style puts the rest of the chain on the first hook's stack).
const own = new Map<string, number>()
const runner = /node_modules\/fastify\/lib\/hooks\.js/
const add = (map: Map<string, number>, key: string, time: number) => map.set(key, (map.get(key) ?? 0) + time)
let total = 0
let stamp = profile.startTime
let window = 0
profile.samples.forEach((id, i) => {
  const time = profile.timeDeltas[i] ?? 0
  stamp += time
  if (stamp < from || stamp > to) return
  window++
  if (keyOf.get(id)!.startsWith('(idle)')) return
  total += time
  add(byFunction, keyOf.get(id)!, time)
  add(byPackage, packageOf.get(id)!, time)
  const seen = new Set<string>()
  let inChain = false
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = keyOf.get(at)!
    if (!seen.has(key)) {
      seen.add(key)
      add(inclusive, key, time)
      if (!inChain && ours.has(key)) add(own, key, time)
    }
    if (runner.test(key)) inChain = true
  }
})
if (window === 0) throw new Error(`no sample of the profile falls in the measured load (${from}–${to} µs; profile from ${profile.startTime})`)
const served = m.requests
const top = (map: Map<string, number>, n: number, keep: (key: string) => boolean = () => true) => [...map.entries()].filter(([k]) => keep(k)).sort((a, b) => b[1] - a[1]).slice(0, n)
  .map(([k, v]) => `  ${(v / total * 100).toFixed(1).padStart(5)} %  ${(v / served).toFixed(2).padStart(6)} µs  ${k}`).join('\n')
// The frames every sample has (the profiler's root, the event loop's) tell nothing.
const telling = (key: string) => !/^\(root\)|^processTicksAndRejections |^listOnTimeout |^processTimers /.test(key)
console.log(`${target.name}: ${m.rps} req/s, p99 ${m.p99} ms while profiled; ${cpuMicros.toFixed(1)} µs of the process's CPU per request (/proc: ` +
  `every thread), ${(total / served).toFixed(1)} µs of the main thread's busy time in the profile\n(the profile's clock is the wall's: ` +
  `where the load generator shares the cores, busy time includes waits for one; columns: share of that busy time, µs per request)\n\nby package (self time):\n${top(byPackage, 15)}\n\n` +
  `by function (self time):\n${top(byFunction, 25)}\n\n` +
  `the service's own frames, what each calls included up to the next hook:\n${top(own, 20)}\n\n` +
  `by frame, what it calls included (a hook that calls done() includes the hooks after it):\n${top(inclusive, 40, telling)}\n\nprofile: ${file}`)
