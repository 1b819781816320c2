import t from 'tap'
import { BackgroundLoop } from '../../lib/background-loop.ts'

// A promise and its resolver: a round that ends when the test says so.
function gate<T = void> () {
  let open!: (value: T) => void
  const promise = new Promise<T>((resolve) => { open = resolve })
  return { promise, open }
}

t.test('a round runs again at the delay it returns, and not at all once it returns null', async (t) => {
  const delays: Array<number | null> = [1, 1, null]
  let rounds = 0
  const done = gate()
  const loop = new BackgroundLoop(async () => {
    rounds++
    const next = delays.shift() ?? null
    if (next === null) done.open()
    return next
  }, { unref: false }) // an unref'd timer alone would let this test's process exit
  await loop.run()
  await done.promise
  t.equal(rounds, 3, 'three rounds: two delays, then null')
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(rounds, 3, 'no round after null')
  await loop.stop()
})

t.test('stop() waits for the round in flight, and no round starts after it', async (t) => {
  const first = gate<number | null>()
  let rounds = 0
  const loop = new BackgroundLoop(() => { rounds++; return first.promise })
  const running = loop.run()
  let stopped = false
  const stopping = loop.stop().then(() => { stopped = true })
  t.ok(loop.stopping, 'stopping at once, before any await')
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(stopped, 'stop() has not resolved while the round runs')
  first.open(1)
  await Promise.all([running, stopping])
  t.ok(stopped)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(rounds, 1, 'the delay the round returned was not scheduled')
  await loop.run()
  t.equal(rounds, 1, 'run() after stop() does nothing')
})

t.test('after() schedules one round (a second call replaces the first); stop() clears it', async (t) => {
  let rounds = 0
  const ran = gate()
  const loop = new BackgroundLoop(async () => { rounds++; ran.open(); return null }, { unref: false })
  loop.after(60_000)
  loop.after(1)
  await ran.promise
  t.equal(rounds, 1)
  loop.after(1)
  await loop.stop()
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(rounds, 1, 'the round due when stop() was called never ran')
})

t.test('stop() waits for tracked work too, and a tracked failure stays its caller\'s', async (t) => {
  const loop = new BackgroundLoop(async () => null)
  const work = gate<number>()
  const tracked = loop.track(work.promise)
  const failed = loop.track(Promise.reject(new Error('boom')))
  let stopped = false
  const stopping = loop.stop().then(() => { stopped = true })
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(stopped, 'waiting for the tracked work')
  work.open(7)
  await stopping
  t.equal(await tracked, 7)
  await t.rejects(failed, /boom/)
})

t.test('a round that rejects ends the loop and run() rejects with it', async (t) => {
  let rounds = 0
  const loop = new BackgroundLoop(async () => { rounds++; throw new Error('round failed') })
  await t.rejects(loop.run(), /round failed/)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(rounds, 1)
  await loop.stop()
})

t.test('the timer is unref\'d unless asked otherwise', async (t) => {
  const quiet = new BackgroundLoop(async () => null)
  const alive = new BackgroundLoop(async () => null, { unref: false })
  quiet.after(60_000)
  alive.after(60_000)
  const active = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  t.ok(active >= 1, 'the kept-alive timer is an active resource')
  await alive.stop()
  t.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, active - 1, 'the unref\'d one was not counted')
  await quiet.stop()
})
