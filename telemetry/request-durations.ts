// The request-duration histogram (`http.server.request.duration`), kept in-process and exported
// through the SDK's readers as a MetricProducer, as prom-client keeps pre-bound labels: one cell
// per (method, route template, status), found by three Map lookups. The SDK's own histogram
// sorted and JSON.stringify'd the attributes of every record to find its series: about 0.7 µs a
// request, against tens of ns here (docs/decisions.md, "Telemetry: the request path's own
// costs"). Same name, attributes, buckets and series as the SDK's instrument had; cumulative.
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api'
import { hrTime } from '@opentelemetry/core'
import { emptyResource } from '@opentelemetry/resources'
import { AggregationTemporality, DataPointType, type CollectionResult, type DataPoint, type Histogram, type HistogramMetricData, type MetricProducer } from '@opentelemetry/sdk-metrics'

/** The stable semantic conventions' advice for http.server.request.duration, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

/** The SDK's default cardinality limit: 1,999 series, then one overflow series takes the rest. */
export const CELL_LIMIT = 2000

const DESCRIPTOR = { name: 'http.server.request.duration', description: 'Duration of HTTP server requests', unit: 's', valueType: ValueType.DOUBLE }

class Cell {
  readonly attributes: Attributes
  readonly startTime: HrTime
  readonly counts: number[]
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity

  constructor (attributes: Attributes, startTime: HrTime, buckets: number) {
    this.attributes = attributes
    this.startTime = startTime
    this.counts = new Array<number>(buckets + 1).fill(0)
  }
}

/** The bucket of `value`: the first boundary at or above it (inclusive upper bounds), as the SDK's binarySearchUB. */
export function bucketOf (boundaries: readonly number[], value: number): number {
  let lo = 0
  let hi = boundaries.length - 1
  let at = boundaries.length
  while (hi >= lo) {
    const mid = (lo + hi) >>> 1
    if (boundaries[mid] < value) lo = mid + 1
    else {
      at = mid
      hi = mid - 1
    }
  }
  return at
}

/** The attributes of a series: method, status and scheme; the route template when one matched; error.type for 5xx. */
export function durationAttributes (method: string, route: string | undefined, status: number): Attributes {
  const attributes: Attributes = { 'http.request.method': method, 'http.response.status_code': status, 'url.scheme': 'http' }
  if (route) attributes['http.route'] = route
  if (status >= 500) attributes['error.type'] = String(status)
  return attributes
}

export class RequestDurations implements MetricProducer {
  // route ('' when none matched) → method → status → cell
  private readonly cells = new Map<string, Map<string, Map<number, Cell>>>()
  private readonly all: Cell[] = []
  private overflow: Cell | undefined
  private readonly boundaries: readonly number[]
  private readonly limit: number
  private readonly now: () => HrTime
  /** The instrumentation scope the series are exported under (the service's meter's name). */
  scope = { name: 'service' }

  constructor (boundaries: readonly number[] = DURATION_BUCKETS, limit = CELL_LIMIT, now: () => HrTime = hrTime) {
    this.boundaries = boundaries
    this.limit = limit
    this.now = now
  }

  record (method: string, route: string | undefined, status: number, seconds: number): void {
    if (!(seconds >= 0)) return
    let byMethod = this.cells.get(route ?? '')
    if (byMethod === undefined) this.cells.set(route ?? '', byMethod = new Map())
    let byStatus = byMethod.get(method)
    if (byStatus === undefined) byMethod.set(method, byStatus = new Map())
    let cell = byStatus.get(status)
    if (cell === undefined) byStatus.set(status, cell = this.newCell(method, route, status))
    cell.count++
    cell.sum += seconds
    if (seconds < cell.min) cell.min = seconds
    if (seconds > cell.max) cell.max = seconds
    cell.counts[bucketOf(this.boundaries, seconds)]++
  }

  private newCell (method: string, route: string | undefined, status: number): Cell {
    if (this.all.length < this.limit - 1) {
      const cell = new Cell(durationAttributes(method, route, status), this.now(), this.boundaries.length)
      this.all.push(cell)
      return cell
    }
    this.overflow ??= new Cell({ 'otel.metric.overflow': true }, this.now(), this.boundaries.length)
    return this.overflow
  }

  /** Every cell, the overflow last. */
  private series (): Cell[] {
    return this.overflow ? [...this.all, this.overflow] : this.all
  }

  /** The series recorded so far, cumulative since each was first seen. */
  dataPoints (): Array<DataPoint<Histogram>> {
    const endTime = this.now()
    return this.series().map((cell) => ({
      attributes: cell.attributes,
      startTime: cell.startTime,
      endTime,
      value: { buckets: { boundaries: [...this.boundaries], counts: [...cell.counts] }, count: cell.count, sum: cell.sum, min: cell.min, max: cell.max }
    }))
  }

  private result (dataPoints: Array<DataPoint<Histogram>>, aggregationTemporality: AggregationTemporality): CollectionResult {
    const metric: HistogramMetricData = { descriptor: DESCRIPTOR, aggregationTemporality, dataPointType: DataPointType.HISTOGRAM, dataPoints }
    // A reader takes the scope metrics and puts them under the SDK's own resource.
    return { resourceMetrics: { resource: emptyResource(), scopeMetrics: dataPoints.length > 0 ? [{ scope: this.scope, metrics: [metric] }] : [] }, errors: [] }
  }

  async collect (): Promise<CollectionResult> {
    return this.result(this.dataPoints(), AggregationTemporality.CUMULATIVE)
  }

  /**
   * The producer for a reader that asks for `temporality` (its exporter's preference, e.g.
   * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta): this one for cumulative; for delta,
   * one of its own that reports what was recorded since its last collection, from its last
   * collection's time (without min and max, which the cells keep since their start only).
   */
  forReader (temporality: AggregationTemporality): MetricProducer {
    if (temporality === AggregationTemporality.CUMULATIVE) return this
    let last = new Map<Cell, { counts: number[], count: number, sum: number }>()
    let lastTime = this.now()
    return {
      collect: async () => {
        const endTime = this.now()
        const next = new Map<Cell, { counts: number[], count: number, sum: number }>()
        const dataPoints: Array<DataPoint<Histogram>> = []
        for (const cell of this.series()) {
          const before = last.get(cell)
          next.set(cell, { counts: [...cell.counts], count: cell.count, sum: cell.sum })
          const count = cell.count - (before?.count ?? 0)
          if (count === 0) continue
          const counts = cell.counts.map((n, i) => n - (before?.counts[i] ?? 0))
          dataPoints.push({ attributes: cell.attributes, startTime: lastTime, endTime, value: { buckets: { boundaries: [...this.boundaries], counts }, count, sum: cell.sum - (before?.sum ?? 0) } })
        }
        last = next
        lastTime = endTime
        return this.result(dataPoints, AggregationTemporality.DELTA)
      }
    }
  }
}

/** The service's one histogram: recorded by plugins/app/metrics.ts, read by the readers that telemetry/sdk.ts gives it to. */
export const requestDurations = new RequestDurations()
