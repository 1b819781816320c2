/**
 * SQLSTATE class 22 (data exception) or 23 (integrity constraint violation): the database
 * refused the rows themselves, not the connection; writing the same rows again fails again.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isDataError (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)
}

export interface IsolatedWrite<T> {
  /** Rows the database refused on their own, each with its error. */
  rejected: Array<{ row: T, err: unknown }>
  /** Rows neither written nor refused, in order: the write stopped on `err`. */
  unwritten: T[]
  /** The error that is not about the data (the database is away): the caller keeps `unwritten`. */
  err?: unknown
}

/**
 * Writes `rows` with `write`, all at once when it can. When the database refuses a batch for a
 * data reason, the batch is halved and each half written, down to the single rows it refuses:
 * one bad row costs about 2·log2(n) statements and blocks none of the others. Order is kept.
 */
export async function writeIsolating<T> (rows: T[], write: (rows: T[]) => Promise<void>, dataError = isDataError): Promise<IsolatedWrite<T>> {
  const queue: T[][] = rows.length > 0 ? [rows] : []
  const rejected: IsolatedWrite<T>['rejected'] = []
  while (queue.length > 0) {
    const chunk = queue.shift() as T[]
    try {
      await write(chunk)
    } catch (err) {
      if (!dataError(err)) return { rejected, unwritten: [chunk, ...queue].flat(), err }
      if (chunk.length === 1) {
        rejected.push({ row: chunk[0], err })
      } else {
        const middle = Math.ceil(chunk.length / 2)
        queue.unshift(chunk.slice(0, middle), chunk.slice(middle))
      }
    }
  }
  return { rejected, unwritten: [] }
}
