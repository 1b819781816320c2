import t from 'tap'
import { VisitBuffer } from '../../lib/visit-buffer.ts'

const visit = (at: number) => ({ at })

t.test('a full buffer refuses the row and counts it as dropped for buffer_full, in flight included', async (t) => {
  const buffer = new VisitBuffer(3)
  t.ok(buffer.push(visit(1)) && buffer.push(visit(2)))
  t.same(buffer.take(10), [visit(1), visit(2)])
  t.ok(buffer.push(visit(3)))
  t.notOk(buffer.push(visit(4)), 'two in flight and one queued fill a buffer of three')
  t.same(buffer.droppedBy, { buffer_full: 1, rejected: 0 })
  t.equal(buffer.pending, 3)
})

t.test('an unwritten batch goes back to the front in order; refused rows are dropped; a write is dated', async (t) => {
  const buffer = new VisitBuffer(100)
  for (let i = 1; i <= 5; i++) buffer.push(visit(i))
  const batch = buffer.take(3)
  buffer.push(visit(6))
  t.equal(buffer.oldestPendingAt, 1, 'the oldest pending is in flight')
  buffer.settle(batch, 0, 1_000)
  t.equal(buffer.lastWriteAt, undefined, 'nothing was stored: no write')
  t.same(buffer.take(100).map((v) => v.at), [1, 2, 3, 4, 5, 6])
  buffer.settle([], 2, 2_000)
  t.equal(buffer.lastWriteAt, 2_000)
  t.same(buffer.droppedBy, { buffer_full: 0, rejected: 2 })
  t.equal(buffer.dropped, 2)
  t.equal(buffer.pending, 0)
  t.equal(buffer.oldestPendingAt, undefined)
})

t.test('take() takes the oldest rows, at most n', async (t) => {
  const buffer = new VisitBuffer(100)
  for (let i = 1; i <= 5; i++) buffer.push(visit(i))
  t.same(buffer.take(2).map((v) => v.at), [1, 2])
  t.equal(buffer.queued, 3)
  t.equal(buffer.pending, 5)
})
