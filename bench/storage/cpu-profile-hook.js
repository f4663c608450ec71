// Loaded into a daemon with `node --import <this file> bin/cloudy.js start ...` by the storage
// benchmark. Plain JavaScript: the daemon runs the built dist/ without a TypeScript loader.
//
// SIGUSR2 starts V8's sampling CPU profiler (node:inspector, in-process); the next SIGUSR2 stops
// it and writes the profile to $CLOUDY_BENCH_PROFILE_DIR/<pid>-<n>.cpuprofile (Chrome DevTools
// format), with the garbage collections seen meanwhile (perf_hooks 'gc' entries: kind, start as
// epoch ms, duration) and the memory at both ends in <pid>-<n>.gc.json. Each step prints one line on stdout,
// which the benchmark waits for:
//   {"benchCpuProfile":{"state":"started"}}   {"benchCpuProfile":{"state":"written","path":"..."}}
// Without signals it does nothing, so the measured runs are unaffected.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'
import { constants, PerformanceObserver } from 'node:perf_hooks'

const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
}

const dir = process.env.CLOUDY_BENCH_PROFILE_DIR
if (dir) {
  let session
  let count = 0
  let gc
  let memoryAtStart
  const record = (entries) => {
    for (const entry of entries) {
      gc?.push({
        kind: GC_KINDS[entry.detail?.kind ?? entry.kind] ?? 'other',
        at: performance.timeOrigin + entry.startTime,
        ms: entry.duration,
      })
    }
  }
  const observer = new PerformanceObserver((list) => record(list.getEntries()))
  const post = (s, method, params = {}) =>
    new Promise((resolve, reject) => {
      s.post(method, params, (err, result) => (err ? reject(err) : resolve(result)))
    })
  const say = (value) => process.stdout.write(`${JSON.stringify({ benchCpuProfile: value })}\n`)
  process.on('SIGUSR2', () => {
    if (session === undefined) {
      const s = new Session()
      session = s
      s.connect()
      gc = []
      memoryAtStart = process.memoryUsage()
      observer.observe({ entryTypes: ['gc'] })
      post(s, 'Profiler.enable')
        .then(() => post(s, 'Profiler.setSamplingInterval', { interval: 500 }))
        .then(() => post(s, 'Profiler.start'))
        .then(() => say({ state: 'started' }))
        .catch((err) => say({ state: 'failed', message: String(err) }))
      return
    }
    const s = session
    session = undefined
    post(s, 'Profiler.stop')
      .then((result) => {
        const base = join(dir, `${process.pid}-${++count}`)
        writeFileSync(`${base}.cpuprofile`, JSON.stringify(result.profile))
        record(observer.takeRecords())
        observer.disconnect()
        const memory = { start: memoryAtStart, end: process.memoryUsage() }
        writeFileSync(`${base}.gc.json`, JSON.stringify({ gc, memory }))
        gc = undefined
        say({ state: 'written', path: `${base}.cpuprofile` })
      })
      .catch((err) => say({ state: 'failed', message: String(err) }))
      .finally(() => s.disconnect())
  })
}
