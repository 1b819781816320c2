import t from 'tap'
import { AggregationTemporality, type HistogramMetricData } from '@opentelemetry/sdk-metrics'
import { bucketOf, CELL_LIMIT, DURATION_BUCKETS, durationAttributes, RequestDurations } from '../../telemetry/request-durations.ts'

// The histogram the SDK's instrument was, cell for cell: the same buckets (inclusive upper
// bounds), attributes and series.
t.test('bucketOf: the first boundary at or above the value, as the SDK\'s binarySearchUB', async (t) => {
  const b = [1, 2, 5]
  t.same([0, 1, 1.5, 2, 4, 5, 5.1, 100].map((v) => bucketOf(b, v)), [0, 0, 1, 1, 2, 2, 3, 3])
  t.equal(bucketOf(DURATION_BUCKETS, 0.005), 0)
  t.equal(bucketOf(DURATION_BUCKETS, 11), DURATION_BUCKETS.length)
})

t.test('durationAttributes: route when matched, error.type for 5xx', async (t) => {
  t.same(durationAttributes('GET', '/api/users/:id', 404), { 'http.request.method': 'GET', 'http.response.status_code': 404, 'url.scheme': 'http', 'http.route': '/api/users/:id' })
  t.same(durationAttributes('GET', undefined, 503), { 'http.request.method': 'GET', 'http.response.status_code': 503, 'url.scheme': 'http', 'error.type': '503' })
})

t.test('one cell per method, route and status, cumulative; count, sum, min, max and buckets', async (t) => {
  let now = 0
  const d = new RequestDurations([0.01, 0.1], 100, () => [now++, 0])
  d.record('GET', '/a', 200, 0.005)
  d.record('GET', '/a', 200, 0.05)
  d.record('GET', '/a', 200, 1)
  d.record('POST', '/a', 201, 0.01)
  d.record('GET', undefined, 404, 0.001)
  d.record('GET', '/a', 200, -1) // never negative; the SDK drops it too
  d.record('GET', '/a', 200, Number.NaN)
  const points = d.dataPoints()
  t.equal(points.length, 3)
  t.same(points[0].value, { buckets: { boundaries: [0.01, 0.1], counts: [1, 1, 1] }, count: 3, sum: 1.055, min: 0.005, max: 1 })
  t.same(points[1].value.buckets.counts, [1, 0, 0], '0.01 falls in the bucket it bounds')
  t.same(points[2].attributes, { 'http.request.method': 'GET', 'http.response.status_code': 404, 'url.scheme': 'http' })
  t.same(points[0].startTime, [0, 0], 'each series starts when first recorded')
  d.record('GET', '/a', 200, 0.02)
  const again = d.dataPoints()
  t.equal(again[0].value.count, 4, 'cumulative across collections')
  t.same(again[0].startTime, [0, 0])
  t.ok(again[0].endTime[0] > points[0].endTime[0], 'end time is the collection\'s')
})

t.test('at the cell limit, as the SDK: limit - 1 series, then one overflow series takes the rest', async (t) => {
  const d = new RequestDurations(DURATION_BUCKETS, 3)
  for (const status of [200, 201, 202, 203]) d.record('GET', '/a', status, 0.01)
  const points = d.dataPoints()
  t.equal(points.length, 3)
  t.same(points[2].attributes, { 'otel.metric.overflow': true })
  t.equal(points[2].value.count, 2)
  t.equal(CELL_LIMIT, 2000, 'the SDK\'s default cardinality limit')
})

t.test('forReader: cumulative is the producer itself; delta reports what came since its last collection', async (t) => {
  let now = 10
  const d = new RequestDurations([0.01, 0.1], 100, () => [now++, 0])
  t.equal(d.forReader(AggregationTemporality.CUMULATIVE), d)
  const delta = d.forReader(AggregationTemporality.DELTA)
  d.record('GET', '/a', 200, 0.005)
  d.record('GET', '/a', 200, 0.05)
  const first = (await delta.collect()).resourceMetrics.scopeMetrics[0].metrics[0] as HistogramMetricData
  t.equal(first.aggregationTemporality, AggregationTemporality.DELTA)
  t.same(first.dataPoints.map((p) => [p.value.count, p.value.buckets.counts]), [[2, [1, 1, 0]]])
  d.record('GET', '/a', 200, 1)
  d.record('POST', '/a', 201, 0.001)
  const second = (await delta.collect()).resourceMetrics.scopeMetrics[0].metrics[0] as HistogramMetricData
  t.same(second.dataPoints.map((p) => [p.attributes['http.request.method'], p.value.count, Math.round((p.value.sum ?? 0) * 1e9) / 1e9, p.value.buckets.counts]), [['GET', 1, 1, [0, 0, 1]], ['POST', 1, 0.001, [1, 0, 0]]], 'only the new records, a series first seen included')
  t.same(second.dataPoints[0].startTime, first.dataPoints[0].endTime, 'from the last collection')
  t.same((await delta.collect()).resourceMetrics.scopeMetrics, [], 'nothing new, nothing reported')
  t.equal((await d.collect()).resourceMetrics.scopeMetrics[0].metrics[0].dataPoints.length, 2, 'the cumulative view is untouched')
})

t.test('collect: one histogram metric under the scope, none before the first record', async (t) => {
  const d = new RequestDurations()
  t.same((await d.collect()).resourceMetrics.scopeMetrics, [])
  d.scope = { name: 'svc' }
  d.record('GET', '/', 200, 0.001)
  const { resourceMetrics, errors } = await d.collect()
  t.same(errors, [])
  const [scope] = resourceMetrics.scopeMetrics
  t.same(scope.scope, { name: 'svc' })
  t.match(scope.metrics[0], { descriptor: { name: 'http.server.request.duration', unit: 's' }, aggregationTemporality: 1, dataPointType: 0 })
})
