import diagnostics from 'node:diagnostics_channel'
import net from 'node:net'

export interface LoadResult {
  /** Answers by status code. */
  byStatus: Record<number, number>
  /** Requests that got no answer (connection refused, reset). */
  errors: number
  /** Those, by the cause's code (ECONNREFUSED, UND_ERR_SOCKET, ...). */
  errorsByCode: Record<string, number>
  /**
   * For each ECONNRESET, when its connection was made by (epoch ms: fetch's connect event, which
   * comes after the connect itself), or null where fetch's diagnostics did not say.
   */
  resetConnectedBy: (number | null)[]
  /** Answers to routes that record a visit: every one of them must be counted. */
  tracked: number
  /** 503 answers without `Connection: close`. */
  open503: number
  /** Every /api/cache-test counter received. */
  counters: number[]
  /** Times a client saw the counter not increase from its previous answer. */
  counterRegressions: number
  maxLatencyMs: number
}

const CLOSING_503 = '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}'

const MIX = ['GET /', 'GET /api/users', 'POST /api/users', 'GET /api/stats', 'GET /api/cache-test', 'GET /api/info']

/**
 * Mixed reads and writes from `connections` concurrent clients in a loop until `stop()`:
 * what a test needs to know about every answer while it breaks something underneath.
 */
export class MixedLoad {
  readonly #base: string
  readonly #connections: number
  readonly #result: LoadResult = { byStatus: {}, errors: 0, errorsByCode: {}, resetConnectedBy: [], tracked: 0, open503: 0, counters: [], counterRegressions: 0, maxLatencyMs: 0 }
  // Answers by latency in whole milliseconds (the last slot: 10 s and more), for percentiles.
  readonly #latencies = new Uint32Array(10_001)
  #running = false
  #workers: Promise<void>[] = []
  #seq = 0

  constructor (base: string, connections: number) {
    this.#base = base
    this.#connections = connections
  }

  // fetch's (undici's) diagnostics channels: when each connection was made, which connection
  // each request went on, and each request's error.
  readonly #connectedBy = new WeakMap<object, number>()
  readonly #socketOf = new WeakMap<object, object>()
  readonly #channels: [string, (message: unknown) => void][] = [
    ['undici:client:connected', (message) => { this.#connectedBy.set((message as { socket: object }).socket, performance.timeOrigin + performance.now()) }],
    ['undici:client:sendHeaders', (message) => { const { request, socket } = message as { request: object, socket: object }; this.#socketOf.set(request, socket) }],
    ['undici:request:error', (message) => {
      const { request, error } = message as { request: object, error: { code?: string } }
      if (error.code !== 'ECONNRESET') return
      const socket = this.#socketOf.get(request)
      this.#result.resetConnectedBy.push((socket && this.#connectedBy.get(socket)) ?? null)
    }]
  ]

  start (): void {
    this.#running = true
    for (const [name, listener] of this.#channels) diagnostics.subscribe(name, listener)
    this.#workers = Array.from({ length: this.#connections }, (_, i) => this.#worker(i))
  }

  /** The latency (ms) under which `p` % of the requests so far were answered. */
  percentile (p: number): number {
    const total = this.#latencies.reduce((a, b) => a + b, 0)
    let seen = 0
    for (let ms = 0; ms < this.#latencies.length; ms++) {
      seen += this.#latencies[ms]
      if (seen >= total * p / 100) return ms
    }
    return this.#latencies.length - 1
  }

  snapshot (): LoadResult {
    return structuredClone(this.#result)
  }

  async stop (): Promise<LoadResult> {
    this.#running = false
    await Promise.all(this.#workers)
    for (const [name, listener] of this.#channels) diagnostics.unsubscribe(name, listener)
    return this.snapshot()
  }

  async #worker (offset: number): Promise<void> {
    let lastCounter = 0
    for (let i = offset; this.#running; i++) {
      const [method, path] = MIX[i % MIX.length].split(' ')
      const started = performance.now()
      try {
        const res = await fetch(`${this.#base}${path}`, method === 'POST'
          ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `load_${process.pid}_${this.#seq++}` }) }
          : { method })
        const body = Buffer.from(await res.arrayBuffer()).toString()
        this.#result.byStatus[res.status] = (this.#result.byStatus[res.status] ?? 0) + 1
        // A closing server's 503 is Fastify's own, sent before routing: not a visit.
        if (body !== CLOSING_503) this.#result.tracked++
        if (res.status === 503 && res.headers.get('connection') !== 'close') this.#result.open503++
        if (path === '/api/cache-test' && res.status === 200) {
          const { counter } = JSON.parse(body) as { counter: number }
          if (counter <= lastCounter) this.#result.counterRegressions++
          lastCounter = counter
          this.#result.counters.push(counter)
        }
      } catch (err) {
        const code = String((err as { cause?: { code?: string } }).cause?.code ?? 'unknown')
        this.#result.errors++
        this.#result.errorsByCode[code] = (this.#result.errorsByCode[code] ?? 0) + 1
        if (code === 'ECONNREFUSED') await new Promise((resolve) => setTimeout(resolve, 10))
      }
      const latency = Math.round(performance.now() - started)
      this.#result.maxLatencyMs = Math.max(this.#result.maxLatencyMs, latency)
      this.#latencies[Math.min(latency, 10_000)]++
    }
  }
}

/**
 * A client that hangs up early: sends `GET path` on a socket of its own and closes it `afterMs`
 * later, with RST (`reset`) or FIN. Resolves once the socket is closed (bounded at 1 s: Node's
 * server keeps a half-closed socket open after answering); true when the request was sent.
 */
export function hangUp (port: number, path: string, afterMs: number, reset: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    let sent = false
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
      sent = true
      setTimeout(() => { if (reset) socket.resetAndDestroy(); else socket.end() }, afterMs)
    })
    socket.setTimeout(1_000, () => socket.destroy())
    socket.on('error', () => {})
    socket.on('close', () => resolve(sent))
  })
}
