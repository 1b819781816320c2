import t from 'tap'
import { chartSvg, endpointGoals, firstLine, replaceBetween, telemetryLines, type EndpointResult, type TelemetryMode } from '../../bench/report.ts'

const rows: EndpointResult[] = [
  { name: 'GET /', rps: 30_000, cpuMicros: 30.4, ceiling: '/none', ceilingRps: 60_000, ceilingCpuMicros: 12, target: 0.6, healthy: true },
  { name: 'GET /api/users', rps: 8_600, cpuMicros: 110, ceiling: '/select', ceilingRps: 10_000, ceilingCpuMicros: 80, target: 0.85, healthy: true },
  { name: 'POST /api/users', rps: 9_000, cpuMicros: Number.NaN, ceiling: '/insert', ceilingRps: 10_000, ceilingCpuMicros: 90, target: 0.85, healthy: false }
]
const modes: TelemetryMode[] = [
  { mode: 'off', byEndpoint: { 'GET /': { rps: 30_000, cpuMicros: 30, healthy: true }, 'GET /api/users': { rps: 8_000, cpuMicros: 110, healthy: true } } },
  { mode: '10 % sampled', byEndpoint: { 'GET /': { rps: 24_000, cpuMicros: 40, healthy: true }, 'GET /api/users': { rps: 6_400, cpuMicros: 130, healthy: true } } },
  { mode: '100 % sampled', byEndpoint: { 'GET /': { rps: 12_000, cpuMicros: 70, healthy: true }, 'GET /api/users': { rps: 4_000, cpuMicros: 200, healthy: true } } },
  { mode: 'none sampled', byEndpoint: { 'GET /': { rps: 27_000, cpuMicros: 36, healthy: true }, 'GET /api/users': { rps: 7_600, cpuMicros: 120, healthy: true } } }
]

t.test('each endpoint against its ceiling: met at the target share when healthy, not met below it or with failures', async (t) => {
  const goals = endpointGoals(rows)
  t.same(goals.map((g) => g.met), [false, true, false])
  t.equal(goals[0].says, 'GET / 30000 req/s 30 µs/req, ceiling /none 60000 req/s 12 µs/req: 50 % (≥ 60 % not met)')
  t.match(goals[2].says, /– µs\/req.*90 % \(≥ 85 % not met\)/, 'an unreadable CPU time is a dash; failures make the goal not met')
})

t.test('one line per telemetry mode: the 10 % goals, the unsampled cost over off, µs per sampled request', async (t) => {
  const lines = telemetryLines(modes)
  t.same(lines.map((l) => l.line.split(':')[0]), ['Telemetry off', 'Telemetry 10 % sampled', 'Telemetry 100 % sampled', 'Telemetry none sampled'])
  t.same(lines[1].goals.map((g) => [g.says, g.met]), [
    ['telemetry at 10 %, GET /: 80 % of off (≥ 75 % met)', true],
    ['telemetry at 10 %, GET /api/users: 80 % of off (≥ 85 % not met)', false]
  ])
  t.same(lines[3].goals.map((g) => [g.says, g.met]), [['telemetry not sampled, GET /: +6 µs/req over off (≤ +5 not met)', false]])
  t.match(lines[2].line, 'GET / 12000 req/s 70 µs/req, 40 % of off, +40 µs/req over it; 34 µs per sampled request')
  t.same(lines[0].goals, [], 'off has no goal of its own')
})

t.test('the first line counts every goal, the endpoints\' and the telemetry\'s', async (t) => {
  const line = firstLine(rows, modes)
  t.match(line, /^Goals: 2 of 6 met\. GET \/ 30000 req\/s/)
  t.match(firstLine(rows, []), /^Goals: 1 of 3 met\./, 'without telemetry runs, the endpoints\' goals only')
})

t.test('the chart is one SVG with a pair of bars per endpoint in each panel, its text escaped', async (t) => {
  const svg = chartSvg([...rows, { ...rows[0], name: 'GET /<x>&' }], 'Benchmark <today>')
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  t.ok(svg.trimEnd().endsWith('</svg>'))
  t.equal(svg.match(/<rect class="bar" /g)?.length, 4 * 4 - 1, 'two bars per endpoint in each of two panels, but none for the CPU time that could not be read')
  t.match(svg, 'GET /&lt;x&gt;&amp;')
  t.match(svg, 'Benchmark &lt;today&gt;')
  t.notMatch(svg, /NaN/, 'an unreadable value draws no bar and says –')
})

t.test('replaceBetween rewrites only the marked section, and refuses a page without it', async (t) => {
  const page = 'head\n<!-- a -->\nold\n<!-- b -->\ntail\n'
  t.equal(replaceBetween(page, '<!-- a -->', '<!-- b -->', 'new'), 'head\n<!-- a -->\nnew\n<!-- b -->\ntail\n')
  t.throws(() => replaceBetween('no markers', '<!-- a -->', '<!-- b -->', 'x'), /no <!-- a -->/)
})
