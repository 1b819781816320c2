// The benchmark's verdicts and chart, from its figures alone (pure: unit-tested in
// test/unit/bench-report.test.ts): the first line a reader acts on, one line per telemetry mode,
// and an SVG of req/s and CPU µs per request, ours beside the ceiling, per endpoint.

export interface EndpointResult {
  name: string
  rps: number
  /** The service's CPU time per request (µs), from /proc; NaN where it could not be read. */
  cpuMicros: number
  ceiling: string
  ceilingRps: number
  ceilingCpuMicros: number
  /** The share of the ceiling's req/s the goal asks for. */
  target: number
  /** No error, timeout or non-2xx, and a p99 within ten times the p50. */
  healthy: boolean
}

export interface TelemetryMode {
  mode: string
  /** Per endpoint (GET /, GET /api/users): median req/s and CPU µs per request. */
  byEndpoint: Record<string, { rps: number, cpuMicros: number, healthy: boolean }>
}

export interface Goal { says: string, met: boolean }

// Rounded down, so a ratio shown at its target has met it (59.9 % is 59 %, not 60 %).
export const pct = (x: number) => `${Math.floor(x * 100 + 1e-9)} %`
const micros = (x: number) => Number.isFinite(x) ? `${Math.round(x)} µs` : '– µs'
const verdict = (met: boolean) => met ? 'met' : 'not met'

/** Each endpoint's ratio to its ceiling against its target. */
export function endpointGoals (rows: EndpointResult[]): Goal[] {
  return rows.map((r) => {
    const ratio = r.rps / r.ceilingRps
    return {
      says: `${r.name} ${r.rps} req/s ${micros(r.cpuMicros)}/req, ceiling ${r.ceiling} ${r.ceilingRps} req/s ${micros(r.ceilingCpuMicros)}/req: ${pct(ratio)} (≥ ${pct(r.target)} ${verdict(ratio >= r.target && r.healthy)})`,
      met: ratio >= r.target && r.healthy
    }
  })
}

/** The telemetry goals of the production configuration (10 % sampling), as far as the modes measured allow. */
export const TELEMETRY_GOALS = {
  /** CPU µs per request not sampled over telemetry off, on GET /. */
  unsampledExtraMicros: 5,
  /** Share of telemetry-off req/s at 10 % sampling. */
  tenth: { 'GET /': 0.75, 'GET /api/users': 0.85 } as Record<string, number>
}

/** One line per telemetry mode, with its goals where it has one. */
export function telemetryLines (modes: TelemetryMode[]): Array<{ line: string, goals: Goal[] }> {
  const off = modes.find((m) => m.mode === 'off')
  const none = modes.find((m) => m.mode === 'none sampled')
  const all = modes.find((m) => m.mode === '100 % sampled')
  return modes.map((m) => {
    const goals: Goal[] = []
    const parts = Object.entries(m.byEndpoint).map(([name, e]) => {
      const base = off?.byEndpoint[name]
      let part = `${name} ${e.rps} req/s ${micros(e.cpuMicros)}/req`
      if (base && m !== off) part += `, ${pct(e.rps / base.rps)} of off, ${signed(e.cpuMicros - base.cpuMicros)} µs/req over it`
      if (m.mode === 'none sampled' && base && name === 'GET /') {
        const extra = e.cpuMicros - base.cpuMicros
        const met = Number.isFinite(extra) && extra <= TELEMETRY_GOALS.unsampledExtraMicros
        goals.push({ says: `telemetry not sampled, GET /: ${signed(extra)} µs/req over off (≤ +${TELEMETRY_GOALS.unsampledExtraMicros} ${verdict(met)})`, met })
        part += ` (≤ +${TELEMETRY_GOALS.unsampledExtraMicros} µs ${verdict(met)})`
      }
      const target = TELEMETRY_GOALS.tenth[name]
      if (m.mode === '10 % sampled' && base && target !== undefined) {
        const ratio = e.rps / base.rps
        const met = ratio >= target && e.healthy
        goals.push({ says: `telemetry at 10 %, ${name}: ${pct(ratio)} of off (≥ ${pct(target)} ${verdict(met)})`, met })
        part += ` (≥ ${pct(target)} ${verdict(met)})`
      }
      if (m === all && none?.byEndpoint[name]) part += `; ${micros(e.cpuMicros - none.byEndpoint[name].cpuMicros)} per sampled request`
      return part
    })
    return { line: `Telemetry ${m.mode}: ${parts.join(' · ')}`, goals }
  })
}

function signed (x: number): string {
  if (!Number.isFinite(x)) return '–'
  const rounded = Math.round(x)
  return rounded >= 0 ? `+${rounded}` : String(rounded)
}

/** The first line: how many goals are met, then each endpoint's figures and verdict. */
export function firstLine (rows: EndpointResult[], telemetry: TelemetryMode[]): string {
  const goals = [...endpointGoals(rows), ...telemetryLines(telemetry).flatMap((l) => l.goals)]
  const met = goals.filter((g) => g.met).length
  return `Goals: ${met} of ${goals.length} met. ${endpointGoals(rows).map((g) => g.says).join(' · ')}`
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * Two horizontal bar charts side by side: req/s and CPU µs per request, each endpoint's bar (ours)
 * above its ceiling's, with the value at the bar's end and the ratio to the ceiling.
 */
export function chartSvg (rows: EndpointResult[], title: string): string {
  const labelWidth = 150
  const panelWidth = 330
  const bar = 11
  const rowHeight = 2 * bar + 12
  const top = 70
  const height = top + rows.length * rowHeight + 30
  const width = labelWidth + 2 * panelWidth + 40
  const colors = { ours: '#2563eb', ceiling: '#9ca3af' }
  const panel = (x0: number, heading: string, ours: (r: EndpointResult) => number, ceiling: (r: EndpointResult) => number, format: (v: number) => string) => {
    const max = Math.max(1, ...rows.flatMap((r) => [ours(r), ceiling(r)].filter(Number.isFinite)))
    const scale = (v: number) => Number.isFinite(v) ? Math.max(1, (v / max) * (panelWidth - 70)) : 0
    const out = [`<text x="${x0}" y="${top - 12}" font-weight="bold">${escape(heading)}</text>`]
    rows.forEach((r, i) => {
      const y = top + i * rowHeight
      for (const [j, value, color] of [[0, ours(r), colors.ours], [1, ceiling(r), colors.ceiling]] as const) {
        const w = scale(value)
        if (w > 0) out.push(`<rect class="bar" x="${x0}" y="${y + j * bar}" width="${w.toFixed(1)}" height="${bar - 1}" fill="${color}"/>`)
        out.push(`<text x="${(x0 + w + 4).toFixed(1)}" y="${y + j * bar + bar - 2}">${escape(format(value))}</text>`)
      }
    })
    return out.join('\n')
  }
  const labels = rows.map((r, i) => {
    const y = top + i * rowHeight
    return `<text x="${labelWidth - 8}" y="${y + bar}" text-anchor="end">${escape(r.name)}</text>` +
      `<text x="${labelWidth - 8}" y="${y + 2 * bar + 1}" text-anchor="end" fill="#6b7280">${escape(`${pct(r.rps / r.ceilingRps)} of ${r.ceiling}`)}</text>`
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="10" y="18" font-size="13" font-weight="bold">${escape(title)}</text>`,
    `<rect x="${labelWidth}" y="26" width="10" height="10" fill="${colors.ours}"/><text x="${labelWidth + 14}" y="35">the service</text>`,
    `<rect x="${labelWidth + 100}" y="26" width="10" height="10" fill="${colors.ceiling}"/><text x="${labelWidth + 114}" y="35">its ceiling (bench/ceiling.ts)</text>`,
    ...labels,
    panel(labelWidth, 'req/s (more is better)', (r) => r.rps, (r) => r.ceilingRps, (v) => String(Math.round(v))),
    panel(labelWidth + panelWidth + 20, 'CPU µs per request (less is better)', (r) => r.cpuMicros, (r) => r.ceilingCpuMicros, (v) => Number.isFinite(v) ? String(Math.round(v)) : '–'),
    '</svg>',
    ''
  ].join('\n')
}

/** `page` with the text between the two markers replaced by `content` (markers kept). */
export function replaceBetween (page: string, start: string, end: string, content: string): string {
  const from = page.indexOf(start)
  const to = page.indexOf(end)
  if (from < 0 || to < from) throw new Error(`no ${start} … ${end} section`)
  return `${page.slice(0, from + start.length)}\n${content}\n${page.slice(to)}`
}
