/** Why a visit was not written: the buffer was full (the database was away too long), or the
 * database refused the row itself (a data or constraint error, SQLSTATE class 22 or 23). */
export type DropReason = 'buffer_full' | 'rejected'

/**
 * The in-memory book of visits waiting to be written: bounded, in arrival order, with a batch
 * taken out while it is written and put back at the front when the write fails. Pure
 * bookkeeping: the plugin around it (plugins/app/visits.ts) owns the timer and the database.
 */
export class VisitBuffer<T extends { at: number }> {
  readonly #max: number
  #rows: T[] = []
  #inFlight: T[] = []
  readonly #dropped: Record<DropReason, number> = { buffer_full: 0, rejected: 0 }
  #lastWriteAt: number | undefined

  constructor (max: number) {
    this.#max = max
  }

  /** Adds `row`; false (and counted as dropped) when the buffer, with what is in flight, is full. */
  push (row: T): boolean {
    if (this.#rows.length + this.#inFlight.length >= this.#max) {
      this.#dropped.buffer_full++
      return false
    }
    this.#rows.push(row)
    return true
  }

  /** Takes up to `n` of the oldest rows out to be written; they stay counted as pending. */
  take (n: number): T[] {
    const batch = this.#rows.length > n ? this.#rows.splice(0, n) : this.#rows
    if (batch === this.#rows) this.#rows = []
    this.#inFlight = batch
    return batch
  }

  /** The write of the batch taken ended: `unwritten` goes back to the front, in order;
   * `rejected` rows are counted as dropped. A write that stored any row is the last write. */
  settle (unwritten: T[], rejected: number, now: number): void {
    const written = this.#inFlight.length - unwritten.length - rejected
    if (unwritten.length > 0) this.#rows = unwritten.concat(this.#rows)
    this.#dropped.rejected += rejected
    if (written > 0) this.#lastWriteAt = now
    this.#inFlight = []
  }

  /** Rows buffered and not yet taken. */
  get queued (): number { return this.#rows.length }
  /** Rows buffered or being written. */
  get pending (): number { return this.#rows.length + this.#inFlight.length }
  get dropped (): number { return this.#dropped.buffer_full + this.#dropped.rejected }
  get droppedBy (): Readonly<Record<DropReason, number>> { return this.#dropped }
  /** When a write last stored rows (ms since the epoch); undefined before the first. */
  get lastWriteAt (): number | undefined { return this.#lastWriteAt }
  /** When the oldest pending visit arrived; undefined when nothing is pending. */
  get oldestPendingAt (): number | undefined { return (this.#inFlight[0] ?? this.#rows[0])?.at }
}
