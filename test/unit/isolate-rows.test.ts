import t from 'tap'
import { isDataError, writeIsolating } from '../../lib/isolate-rows.ts'

const pgError = (code: string) => Object.assign(new Error(code), { code })

t.test('SQLSTATE classes 22 and 23 are data errors; connection, timeout and other errors are not', async (t) => {
  for (const code of ['22P02', '23502', '23505', '22001', '23514']) t.ok(isDataError(pgError(code)), code)
  for (const code of ['08006', '57014', '42P01', 'ECONNREFUSED', '2200', '220001']) t.notOk(isDataError(pgError(code)), code)
  t.notOk(isDataError(new Error('no code')))
  t.notOk(isDataError(null))
})

t.test('one bad row among many: the others are written, in order, and it is refused alone', async (t) => {
  const stored: number[] = []
  let statements = 0
  const rows = Array.from({ length: 2000 }, (_, i) => i)
  const result = await writeIsolating(rows, async (batch) => {
    statements++
    if (batch.includes(1234)) throw pgError('23502')
    stored.push(...batch)
  })
  t.same(result.rejected.map((r) => r.row), [1234])
  t.same(result.unwritten, [])
  t.equal(result.err, undefined)
  t.same(stored, rows.filter((r) => r !== 1234), 'every other row written once, in order')
  t.ok(statements <= 2 * Math.ceil(Math.log2(2000)) + 1, `${statements} statements`)
})

t.test('a database that goes away mid-way leaves the rest unwritten, in order, with its error', async (t) => {
  const stored: number[] = []
  let calls = 0
  const down = pgError('08006')
  const result = await writeIsolating([1, 2, 3, 4], async (batch) => {
    calls++
    if (calls === 1) throw pgError('22P02') // [1,2,3,4] refused: split
    if (calls === 2) { stored.push(...batch); return } // [1,2] written
    throw down // [3,4]: the database is gone
  })
  t.same(stored, [1, 2])
  t.same(result.unwritten, [3, 4])
  t.equal(result.err, down)
  t.same(result.rejected, [])
})

t.test('every row bad: every row refused, none written', async (t) => {
  const result = await writeIsolating([1, 2, 3], async () => { throw pgError('23514') })
  t.same(result.rejected.map((r) => r.row), [1, 2, 3])
  t.same(result.unwritten, [])
})
