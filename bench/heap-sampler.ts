// Loaded into the service by `npm run bench:allocations` (node --import): V8's sampling heap
// profiler, counting every allocation sampled, those collected since too (what a request
// allocates and drops is the point). It starts when the file $HEAP_SAMPLER_DIR/start appears and
// writes $HEAP_SAMPLER_DIR/profile.json when $HEAP_SAMPLER_DIR/stop does, so the warm-up is left out.
import { existsSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'

const dir = process.env.HEAP_SAMPLER_DIR as string
const session = new Session()
session.connect()
let state: 'waiting' | 'sampling' | 'done' = 'waiting'
const timer = setInterval(() => {
  if (state === 'waiting' && existsSync(join(dir, 'start'))) {
    state = 'sampling'
    session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }).catch(console.error)
  } else if (state === 'sampling' && existsSync(join(dir, 'stop'))) {
    state = 'done'
    clearInterval(timer)
    session.post('HeapProfiler.stopSampling')
      .then(({ profile }) => writeFileSync(join(dir, 'profile.json'), JSON.stringify(profile)))
      .catch(console.error)
  }
}, 50)
timer.unref()
