// `npm run bench:ladder [-- --rounds N --duration S]`: what each of the service's pieces costs
// on GET /, as a ladder from bare Fastify to the service itself. Each rung (bench/ladder-server.ts)
// adds the next real piece — the route, the server options, each plugin of plugins/external/ —
// to the one before; the last rung is the built service as it ships. Every rung runs as its own
// process, loaded in turn in each round (the order rotating), and its CPU µs per request comes
// from /proc as in `npm run bench`; the figures are the rounds' medians. See bench/README.md.
import { parseArgs } from 'node:util'
import { RUNGS } from './ladder-server.ts'
import { buildService, freshDatabase, load, loadCpu, median, NODE_OPTIONS, SERVERS, startNode, startService, type Server } from './lib.ts'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' }
  }
})
const rounds = Number(args.rounds)
const duration = Number(args.duration)
const connections = Number(args.connections)
const target = { name: 'GET /', method: 'GET' as const, path: '/' }

buildService()
const databaseUrl = await freshDatabase(SERVERS.adminUrl, 'ecs_bench_ladder')
const names = [...RUNGS, 'the service as it ships (plugins/app: visits, health, metrics…; every route)']
const servers: Server[] = []
for (let rung = 0; rung < RUNGS.length; rung++) {
  servers.push(await startNode([...NODE_OPTIONS, 'bench/ladder-server.ts'], { NODE_ENV: 'production', LOG_LEVEL: 'info', DATABASE_URL: databaseUrl, REDIS_URL: SERVERS.redisUrl, RUNG: String(rung) }, '/'))
}
servers.push(await startService(databaseUrl, { REDIS_KEY_PREFIX: 'bench-ladder:' }))

const cpu: number[][] = names.map(() => [])
const rps: number[][] = names.map(() => [])
for (const server of servers) await load(server.base, target, connections, 1)
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < servers.length; i++) {
    const at = (i + round) % servers.length
    const server = servers[at] as Server
    const m = await loadCpu(server, target, connections, duration)
    if (m.errors + m.timeouts + m.non2xx > 0) throw new Error(`rung ${at}: ${m.errors} errors, ${m.timeouts} timeouts, ${m.non2xx} non-2xx`)
    cpu[at]!.push(m.cpuMicros)
    rps[at]!.push(m.rps)
  }
}
for (const server of servers) await server.stop()

const us = cpu.map(median)
const bare = us[0] as number
const added = (us.at(-1) as number) - bare
const rows = names.map((name, i) => {
  const step = i === 0 ? 0 : (us[i] as number) - (us[i - 1] as number)
  const share = i === 0 ? '' : `${(step / added * 100).toFixed(0)} %`
  return `| ${i} | ${name} | ${median(rps[i] as number[])} | ${(us[i] as number).toFixed(1)} | ${i === 0 ? '' : (step >= 0 ? '+' : '') + step.toFixed(1)} | ${share} |`
})
console.log(`GET / at ${connections} connections, ${rounds} rounds of ${duration} s, medians; CPU µs per request from /proc ` +
  '(the spread between rounds is the machine\'s: a step of a few µs is within it)\n\n' +
  '| rung | what it adds | req/s | CPU µs/req | step µs | share of what the service adds |\n|---|---|---|---|---|---|\n' + rows.join('\n') +
  `\n\nthe service: ${(us.at(-1) as number).toFixed(1)} µs per request, ${(bare / (us.at(-1) as number) * 100).toFixed(0)} % of bare Fastify's throughput by CPU`)
