/**
 * The lifecycle of a plugin's background work (migrations retried until they apply, retention
 * rounds, readiness checks): a round, then a timer for the next one at the delay the round
 * returns (null: no more rounds), until stop(). stop() lets no new round start, clears the timer
 * and waits for the round in flight and for any work passed to track(), so an app's close never
 * ends a connection under a running statement or leaves a timer behind.
 *
 * A round settles its own errors (it logs and returns the retry delay); one that rejects ends
 * the loop, and run() passes the rejection on to its caller.
 */
export class BackgroundLoop {
  readonly #round: () => Promise<number | null>
  readonly #unref: boolean
  readonly #inFlight = new Set<Promise<unknown>>()
  #timer: NodeJS.Timeout | undefined
  #stopping = false

  /** `unref: false` keeps the process alive while a round is due (default: it does not). */
  constructor (round: () => Promise<number | null>, { unref = true }: { unref?: boolean } = {}) {
    this.#round = round
    this.#unref = unref
  }

  /** True once stop() was called: a round that loops (batches) checks it between steps. */
  get stopping (): boolean {
    return this.#stopping
  }

  /** Runs a round now, then goes on at the delay it returns; resolves when this round ends. */
  async run (): Promise<void> {
    if (this.#stopping) return
    const next = await this.track(this.#round())
    if (next !== null) this.after(next)
  }

  /** Runs a round after `ms` (replacing a round already due); nothing once stopping. */
  after (ms: number): void {
    if (this.#stopping) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => { this.run().catch(() => {}) }, ms)
    if (this.#unref) this.#timer.unref()
  }

  /** Work outside the schedule (a round asked for now) that stop() waits for as well. */
  track<T> (work: Promise<T>): Promise<T> {
    this.#inFlight.add(work)
    const forget = () => { this.#inFlight.delete(work) }
    work.then(forget, forget)
    return work
  }

  /**
   * No new round; the timer cleared; resolves once the work in flight has ended (its errors are
   * its caller's). Stopping is set before the first await, so a caller may end the round's
   * connection right after calling stop() to cut a long round short.
   */
  async stop (): Promise<void> {
    this.#stopping = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await Promise.allSettled([...this.#inFlight])
  }
}
