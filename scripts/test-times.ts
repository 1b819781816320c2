// `npm run test:times [-- tier ...]`: runs each test tier as a developer would and prints its
// wall-clock time and tap's summary line, for the README's table (README, "Test tiers").
import { spawnSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'

const TIERS: Record<string, string> = { unit: 'test:unit', contract: 'test', all: 'test:all' }
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(TIERS)
const rows: string[] = []
let failed = false
for (const tier of chosen) {
  const script = TIERS[tier]
  if (!script) throw new Error(`no tier ${tier}: one of ${Object.keys(TIERS).join(', ')}`)
  const load = loadavg()[0].toFixed(1)
  const started = performance.now()
  const run = spawnSync('npm', ['run', '-s', script], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const summary = /^# \{ total: .*\}$/m.exec(run.stdout ?? '')?.[0] ?? 'no tap summary'
  if (run.status !== 0) failed = true
  rows.push(`| ${tier} | \`npm run ${script}\` | ${seconds} s | ${summary.replace(/^# /, '')} | exit ${run.status} | ${load} |`)
  console.error(rows.at(-1))
}
console.log(`${cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}\n`)
console.log('| tier | command | time | tap | status | load average at start |\n| --- | --- | --- | --- | --- | --- |')
console.log(rows.join('\n'))
process.exitCode = failed ? 1 : 0
