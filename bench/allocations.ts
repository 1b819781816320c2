// `npm run bench:allocations -- [PATH] [--method POST] [--requests N] [--telemetry | --ceiling]`: what
// the service (or, with --ceiling, bench/ceiling.ts: PATH /none, /select…) allocates per request while autocannon loads one endpoint (64 connections), from V8's
// sampling heap profiler (bench/heap-sampler.ts, every 1 KiB on average, collected objects
// included), over N requests after the warm-up: the total, by function (bytes allocated in the
// function itself) and by package. Allocation drives the garbage collector's work, and unlike
// CPU time on a shared machine it does not move between runs. See bench/README.md.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { buildService, frameOf, freshDatabase, load, NODE_OPTIONS, sampledTenth, SERVERS, startNode, startService } from './lib.ts'

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    method: { type: 'string', default: 'GET' },
    requests: { type: 'string', default: '50000' },
    telemetry: { type: 'boolean', default: false },
    ceiling: { type: 'boolean', default: false }
  }
})
const path = positionals[0] ?? (args.ceiling ? '/none' : '/')
const requests = Number(args.requests)

interface Node { callFrame: { functionName: string, url: string, lineNumber: number }, selfSize: number, children: Node[] }

buildService()
const databaseUrl = await freshDatabase(SERVERS.adminUrl, 'ecs_bench_allocations')
const dir = mkdtempSync(join(tmpdir(), 'allocations-'))
const sink = args.telemetry ? await startNode(['bench/otlp-sink.ts'], {}, '/') : undefined
const telemetry = sampledTenth(sink)
const sampler = ['--import', './bench/heap-sampler.ts']
const app = args.ceiling
  ? await startNode([...NODE_OPTIONS, ...sampler, 'bench/ceiling.ts'], { NODE_ENV: 'production', DATABASE_URL: databaseUrl, REDIS_URL: SERVERS.redisUrl, REDIS_KEY_PREFIX: 'bench-allocations:', HEAP_SAMPLER_DIR: dir }, '/none')
  : await startService(databaseUrl, { REDIS_KEY_PREFIX: 'bench-allocations:', HEAP_SAMPLER_DIR: dir, ...telemetry }, sampler)
const target = { name: `${args.method} ${path}`, method: args.method as 'GET', path, body: args.method === 'POST' ? (n: number) => `{"username":"a$RUN_${n}"}` : undefined }
await load(app.base, target, 64, 3)
writeFileSync(join(dir, 'start'), '')
await new Promise((resolve) => setTimeout(resolve, 200))
const run = await autocannon({
  url: `${app.base}${path}`,
  method: target.method,
  connections: 64,
  amount: requests,
  headers: target.body ? { 'content-type': 'application/json' } : {},
  requests: target.body ? [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: target.body!(Math.floor(Math.random() * 1e12)).replace('$RUN', String(process.pid)) }) }] : undefined
})
writeFileSync(join(dir, 'stop'), '')
const file = join(dir, 'profile.json')
for (let waited = 0; !existsSync(file); waited += 100) {
  if (waited > 30_000) throw new Error('the heap sampler wrote no profile')
  await new Promise((resolve) => setTimeout(resolve, 100))
}
await app.stop()
await sink?.stop()
if (run.errors + run.non2xx > 0) throw new Error(`${run.errors} errors, ${run.non2xx} non-2xx`)

const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: Node }
const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes)
let total = 0
const walk = (node: Node) => {
  const { key, pkg } = frameOf(node.callFrame)
  add(byFunction, key, node.selfSize)
  add(byPackage, pkg, node.selfSize)
  total += node.selfSize
  for (const child of node.children) walk(child)
}
walk(head)
const served = run.requests.total
const top = (map: Map<string, number>, n: number) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  .map(([k, v]) => `  ${(v / served).toFixed(0).padStart(6)} B  ${(v / total * 100).toFixed(1).padStart(5)} %  ${k}`).join('\n')
console.log(`${args.ceiling ? 'ceiling ' : ''}${target.name}${sink ? ' (telemetry, 10 % sampled)' : ''}: ${served} requests at 64 connections, ${(total / served).toFixed(0)} bytes allocated per request ` +
  `(sampled every 1 KiB on average)\n\nby package (bytes per request, share):\n${top(byPackage, 12)}\n\nby function (allocated in the function itself):\n${top(byFunction, 30)}\n\nprofile: ${file}`)
