import t from 'tap'
import { acceptQueueDrained, acceptQueueOfLine } from '../../lib/accept-queue.ts'

// Lines as Linux writes them (header, a listener with 3 queued, another listener, a connection).
const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'
const LISTENER = '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0'
const OTHER_LISTENER = '   1: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   104        0 22222 1 0000000000000000 100 0 0 10 0'
const CONNECTION = '   2: 0100007F:0BB8 0100007F:D2F0 06 00000000:00000000 03:000012A4 00000000     0        0 0 3 0000000000000000'

t.test('the listener\'s line gives its accept queue (rx_queue, hexadecimal)', async (t) => {
  t.equal(acceptQueueOfLine(LISTENER, '123456'), 3)
  t.equal(acceptQueueOfLine(LISTENER.replace(':00000003 ', ':0000001A '), '123456'), 26)
})

t.test('other lines: undefined among the listeners, null once past them', async (t) => {
  t.equal(acceptQueueOfLine(HEADER, '123456'), undefined)
  t.equal(acceptQueueOfLine(OTHER_LISTENER, '123456'), undefined)
  t.equal(acceptQueueOfLine(CONNECTION, '123456'), null, 'a TIME_WAIT line: the listener is not in this table')
})

t.test('the listener may close when its queue is empty or all it held at the start is taken', async (t) => {
  t.ok(acceptQueueDrained(0, 5, 0, -1), 'empty')
  t.notOk(acceptQueueDrained(2, 5, 3, 2), '2 of 5 still queued')
  t.ok(acceptQueueDrained(2, 5, 5, 4), 'the 5 held at the start taken; 2 more came since (not waited for)')
  t.notOk(acceptQueueDrained(null, undefined, 3, 2), 'unreadable: a turn that took one is not quiet')
  t.ok(acceptQueueDrained(null, undefined, 3, 3), 'unreadable: a turn that took none is')
})
