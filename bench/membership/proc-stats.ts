import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { median, round } from './stats.ts'

/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

export interface ProcSample {
  rssKb: number
  /** peak RSS of the process so far */
  hwmKb: number
  /** utime + stime in clock ticks */
  ticks: number
  at: number
}

/** RSS and CPU time of a process from /proc, or undefined when it is gone. */
export async function sampleProc(pid: number): Promise<ProcSample | undefined> {
  try {
    const [status, stat] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ])
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
    // fields after the parenthesised command: state is field 3, utime 14, stime 15
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(rest[11]) + Number(rest[12])
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), ticks, at: performance.now() }
  } catch {
    return undefined
  }
}

export interface IdleCost {
  seconds: number
  nodes: number
  rssMb: { median: number; max: number }
  hwmMbMax: number
  cpuPct: { median: number; max: number; sum: number }
  /** the benchmark process itself (event streams): its share of the machine */
  benchCpuPct: number
}

/** Samples RSS and CPU of the given processes over `seconds` of (presumably) idle time. */
export async function measureIdleCost(pids: number[], seconds: number): Promise<IdleCost> {
  const before = await Promise.all(pids.map(sampleProc))
  const benchBefore = await sampleProc(process.pid)
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const after = await Promise.all(pids.map(sampleProc))
  const benchAfter = await sampleProc(process.pid)
  const cpu: number[] = []
  const rss: number[] = []
  const hwm: number[] = []
  after.forEach((a, i) => {
    const b = before[i]
    if (a === undefined || b === undefined) return
    cpu.push(cpuPct(b, a))
    rss.push(a.rssKb / 1024)
    hwm.push(a.hwmKb / 1024)
  })
  return {
    seconds,
    nodes: cpu.length,
    rssMb: { median: round(median(rss)), max: round(Math.max(...rss)) },
    hwmMbMax: round(Math.max(...hwm)),
    cpuPct: {
      median: round(median(cpu), 2),
      max: round(Math.max(...cpu), 2),
      sum: round(
        cpu.reduce((s, c) => s + c, 0),
        1,
      ),
    },
    benchCpuPct: benchBefore && benchAfter ? round(cpuPct(benchBefore, benchAfter), 2) : Number.NaN,
  }
}

/** CPU time used between two samples, as a percentage of one core. */
function cpuPct(before: ProcSample, after: ProcSample): number {
  const cpuSeconds = (after.ticks - before.ticks) / CLK_TCK
  const wallSeconds = (after.at - before.at) / 1000
  return wallSeconds > 0 ? (100 * cpuSeconds) / wallSeconds : 0
}

export interface MachineInfo {
  cores: number
  cpuModel: string
  memGiB: number
  node: string
  kernel: string
}

export function machineInfo(): MachineInfo {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    kernel: release(),
  }
}

/** MemAvailable from /proc/meminfo in MiB. */
export async function availableMemoryMb(): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8')
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(info)?.[1] ?? 0) / 1024
}

export interface CpuTotals {
  busy: number
  total: number
}

/** The machine's CPU time so far (all cores) from the first line of /proc/stat, in ticks. */
export async function cpuTotals(): Promise<CpuTotals> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? ''
  const [, ...fields] = line.trim().split(/\s+/)
  const v = fields.map(Number)
  const idle = (v[3] ?? 0) + (v[4] ?? 0)
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0)
  return { busy: total - idle, total }
}

/** Share of the whole machine (all cores) that was busy between two readings, in %. */
export function busyPct(before: CpuTotals, after: CpuTotals): number {
  const total = after.total - before.total
  return total > 0 ? round((100 * (after.busy - before.busy)) / total, 1) : Number.NaN
}

/** CPU used by a set of processes between two samples, in % of one core (gone processes count 0). */
export function processesCpuPct(
  before: (ProcSample | undefined)[],
  after: (ProcSample | undefined)[],
): number {
  let sum = 0
  after.forEach((a, i) => {
    const b = before[i]
    if (a && b) sum += cpuPct(b, a)
  })
  return round(sum, 1)
}

export function loadAverage(): number {
  return round(loadavg()[0] ?? 0, 2)
}

/**
 * Busy-loop processes, one per core by default, beside the cloud. Each spins in 200 ms slices and
 * exits when its parent (this benchmark) is gone, so a crashed run leaves no hog behind.
 */
export function startCpuHogs(count: number): { pids: number[]; stop(): Promise<void> } {
  const script = `const parent = process.ppid
for (;;) {
  const end = Date.now() + 200
  while (Date.now() < end) {}
  if (process.ppid !== parent) process.exit(0)
}`
  const children: ChildProcess[] = []
  for (let i = 0; i < count; i++) {
    children.push(spawn(process.execPath, ['-e', script], { stdio: 'ignore' }))
  }
  return {
    pids: children.map((c) => c.pid ?? 0),
    async stop() {
      await Promise.all(
        children.map((c) => {
          if (c.exitCode !== null || c.signalCode !== null) return undefined
          const exited = new Promise((r) => c.once('exit', r))
          c.kill('SIGKILL')
          return exited
        }),
      )
    },
  }
}
