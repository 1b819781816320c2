interface Entry { value: string, expiresAt: number }

/**
 * The in-process stand-in for Redis used when no Redis is configured (outside production):
 * strings with a time to live, and an increment that is atomic because this process is the
 * only writer and JavaScript runs it to completion. Expired keys are removed on access and
 * by a sweep, so the map does not grow with keys nobody reads again.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>()
  readonly #sweeper: NodeJS.Timeout

  constructor (sweepIntervalMs = 60_000) {
    this.#sweeper = setInterval(() => this.sweep(), sweepIntervalMs).unref()
  }

  get (key: string): string | null {
    return this.#live(key)?.value ?? null
  }

  set (key: string, value: string, ttlSeconds: number): void {
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 })
  }

  /** INCR then EXPIRE, as one step: a missing or expired key counts from 0. */
  increment (key: string, ttlSeconds: number): number {
    const current = this.#live(key)?.value ?? '0'
    if (!/^-?\d+$/.test(current)) throw new Error('value is not an integer')
    const next = Number(current) + 1
    this.set(key, String(next), ttlSeconds)
    return next
  }

  /** Seconds left, as Redis TTL answers: -2 when the key does not exist. */
  ttl (key: string): number {
    const entry = this.#live(key)
    return entry ? Math.ceil((entry.expiresAt - Date.now()) / 1000) : -2
  }

  sweep (): void {
    const now = Date.now()
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key)
  }

  close (): void {
    clearInterval(this.#sweeper)
    this.#entries.clear()
  }

  #live (key: string): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }
}
