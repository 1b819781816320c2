// An OTLP/HTTP receiver (JSON encoding, OTEL_EXPORTER_OTLP_PROTOCOL=http/json) on a free loopback
// port: what a collector receives from the service, for the telemetry tests. It can also answer
// 500, never answer (a hung collector) or be stopped (a collector that is down).
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Span {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  scope: string
  attributes: Record<string, unknown>
}

export interface MetricPoint {
  name: string
  scope: string
  attributes: Record<string, unknown>
  value: number | undefined
}

type Mode = 'ok' | 'error' | 'hang'

interface KeyValue { key: string, value: Record<string, unknown> }

const attributes = (list: KeyValue[] = []) => Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]))

export class OtlpReceiver {
  readonly spans: Span[] = []
  /** Every data point of every export, in arrival order. */
  readonly points: MetricPoint[] = []
  requests = 0
  mode: Mode = 'ok'
  readonly #server: http.Server

  constructor () {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        this.requests++
        if (this.mode === 'hang') return
        if (this.mode === 'error') {
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":13,"message":"collector failing"}')
          return
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        if (req.url === '/v1/traces') this.#traces(body)
        if (req.url === '/v1/metrics') this.#metrics(body)
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
  }

  async start (): Promise<string> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async stop (): Promise<void> {
    if (!this.#server.listening) return
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }

  metric (name: string): MetricPoint[] {
    return this.points.filter((p) => p.name === name)
  }

  #traces (body: { resourceSpans?: Array<{ scopeSpans?: Array<{ scope: { name: string }, spans?: Array<Omit<Span, 'scope' | 'attributes'> & { attributes?: KeyValue[] }> }> }> }) {
    for (const rs of body.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) this.spans.push({ ...span, scope: ss.scope.name, attributes: attributes(span.attributes) })
      }
    }
  }

  #metrics (body: { resourceMetrics?: Array<{ scopeMetrics?: Array<{ scope: { name: string }, metrics?: Array<Record<string, unknown> & { name: string }> }> }> }) {
    for (const rm of body.resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const metric of sm.metrics ?? []) {
          const data = (metric.sum ?? metric.gauge ?? metric.histogram) as { dataPoints?: Array<{ attributes?: KeyValue[], asInt?: string | number, asDouble?: number, count?: string | number }> } | undefined
          for (const p of data?.dataPoints ?? []) {
            const raw = p.asInt ?? p.asDouble ?? p.count
            this.points.push({ name: metric.name, scope: sm.scope.name, attributes: attributes(p.attributes), value: raw === undefined ? undefined : Number(raw) })
          }
        }
      }
    }
  }
}
