import { readFile } from 'node:fs/promises'

/** The parts of a V8 .cpuprofile (Chrome DevTools format) this summary reads. */
interface CpuProfile {
  nodes: {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
    children?: number[]
  }[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface CostRow {
  what: string
  ms: number
  /** share of the busy (non-idle) time */
  pct: number
}

export interface ProfileSummary {
  profiles: number
  /** wall time covered, summed over the profiles */
  wallMs: number
  /** sampled time not idle: JavaScript, GC, and native work on the main thread */
  busyMs: number
  /** busy time by module (file under dist/, package, or node internal area) */
  modules: CostRow[]
  /** functions by self time */
  self: CostRow[]
  /** Cloudy functions by inclusive time (the function and what it calls) */
  inclusive: CostRow[]
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)'])

/** `file.js:line` relative to the package, node_modules or node's own sources. */
function place(url: string, line: number): string {
  if (url === '') return ''
  let path = url.replace(/^file:\/\//, '')
  const nm = path.lastIndexOf('/node_modules/')
  if (nm >= 0) path = path.slice(nm + '/node_modules/'.length)
  else if (path.includes('/dist/')) path = path.slice(path.lastIndexOf('/dist/') + 1)
  return `${path}:${line + 1}`
}

function moduleOf(name: string, url: string): string {
  if (SPECIAL.has(name) && url === '') return name
  if (url === '') return '(native)'
  const path = url.replace(/^file:\/\//, '')
  const nm = path.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const [scopeOrName = '', sub = ''] = path.slice(nm + '/node_modules/'.length).split('/')
    return scopeOrName.startsWith('@') ? `${scopeOrName}/${sub}` : scopeOrName
  }
  if (path.includes('/dist/')) return path.slice(path.lastIndexOf('/dist/') + 1)
  if (path.startsWith('node:')) {
    // node:internal/streams/readable → node:internal/streams; node:_tls_wrap stays
    const parts = path.split('/')
    return parts.length > 2 ? parts.slice(0, 2).join('/') : path
  }
  return path
}

function keyOf(name: string, url: string, line: number): string {
  const where = place(url, line)
  return where === '' ? name || '(anonymous)' : `${name || '(anonymous)'} ${where}`
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms)
}

function top(map: Map<string, number>, busyMs: number, count: number): CostRow[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([what, ms]) => ({ what, ms: Math.round(ms), pct: busyMs > 0 ? (100 * ms) / busyMs : 0 }))
}

/** Only the samples taken in [fromUs, toUs] (V8's monotonic clock, the same as process.hrtime). */
export interface SampleWindow {
  fromUs: number
  toUs: number
}

const isOwnCode = (url: string) => url.includes('/dist/') && !url.includes('/node_modules/')

/**
 * Self and inclusive time of the given .cpuprofile files together (e.g. every storage server).
 * Native functions (no script URL: OpenSSL's update, a socket's writev, ...) are named together with
 * their nearest JavaScript caller, and counted in that caller's module.
 */
export async function summarizeProfiles(
  paths: readonly string[],
  options: { count?: number; window?: SampleWindow } = {},
): Promise<ProfileSummary> {
  const count = options.count ?? 15
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const modules = new Map<string, number>()
  let wallMs = 0
  let busyMs = 0
  for (const path of paths) {
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile
    const from = Math.max(profile.startTime, options.window?.fromUs ?? profile.startTime)
    const to = Math.min(profile.endTime, options.window?.toUs ?? profile.endTime)
    wallMs += Math.max(0, to - from) / 1000
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    const parent = new Map<number, number>()
    for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)
    const jsCaller = (id: number) => {
      for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame
        if (frame && frame.url !== '') return frame
      }
      return undefined
    }
    const deltas = profile.timeDeltas
    let at = profile.startTime
    profile.samples.forEach((id, i) => {
      at += deltas[i] ?? 0
      // the time until the next sample belongs to this one
      const ms = (deltas[i + 1] ?? 0) / 1000
      if (at < from || at > to) return
      const node = byId.get(id)
      if (!node) return
      const { functionName, url, lineNumber } = node.callFrame
      if (functionName === '(idle)') return
      busyMs += ms
      if (url === '' && !SPECIAL.has(functionName)) {
        const caller = jsCaller(id)
        const callerKey = caller ? keyOf(caller.functionName, caller.url, caller.lineNumber) : '?'
        add(self, `${functionName || '(anonymous)'} (native) ← ${callerKey}`, ms)
        add(modules, caller ? moduleOf(caller.functionName, caller.url) : '(native)', ms)
      } else {
        add(self, keyOf(functionName, url, lineNumber), ms)
        add(modules, moduleOf(functionName, url), ms)
      }
      const seen = new Set<string>()
      for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
        const frame = byId.get(up)?.callFrame
        if (!frame || !isOwnCode(frame.url)) continue
        const key = keyOf(frame.functionName, frame.url, frame.lineNumber)
        if (seen.has(key)) continue
        seen.add(key)
        add(inclusive, key, ms)
      }
    })
  }
  return {
    profiles: paths.length,
    wallMs: Math.round(wallMs),
    busyMs: Math.round(busyMs),
    modules: top(modules, busyMs, count),
    self: top(self, busyMs, count),
    inclusive: top(inclusive, busyMs, count),
  }
}

export interface GcSummary {
  /** collections by kind (minor = scavenge, major = mark-compact, ...) inside the window */
  byKind: Record<string, { count: number; ms: number }>
  /** process.memoryUsage() when the profiler started and stopped, MB */
  memory: { start: MemoryMb; end: MemoryMb }
}

interface MemoryMb {
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

/** The garbage collections cpu-profile-hook.js saw beside a profile, inside [fromMs, toMs] (epoch). */
export async function summarizeGc(
  profilePath: string,
  window: { fromMs: number; toMs: number },
): Promise<GcSummary | undefined> {
  const path = profilePath.replace(/\.cpuprofile$/, '.gc.json')
  let saved: {
    gc: { kind: string; at: number; ms: number }[]
    memory: { start: NodeJS.MemoryUsage; end: NodeJS.MemoryUsage }
  }
  try {
    saved = JSON.parse(await readFile(path, 'utf8'))
  } catch {
    return undefined
  }
  const byKind: GcSummary['byKind'] = {}
  for (const entry of saved.gc) {
    if (entry.at < window.fromMs || entry.at > window.toMs) continue
    const k = byKind[entry.kind] ?? { count: 0, ms: 0 }
    byKind[entry.kind] = k
    k.count++
    k.ms += entry.ms
  }
  for (const k of Object.values(byKind)) k.ms = Math.round(k.ms)
  const mb = (m: NodeJS.MemoryUsage): MemoryMb => ({
    rss: Math.round(m.rss / 1e6),
    heapUsed: Math.round(m.heapUsed / 1e6),
    external: Math.round(m.external / 1e6),
    arrayBuffers: Math.round(m.arrayBuffers / 1e6),
  })
  return { byKind, memory: { start: mb(saved.memory.start), end: mb(saved.memory.end) } }
}
