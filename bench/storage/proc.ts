import { readdir, readFile } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { CLK_TCK, sampleProc as sampleProcTicks } from '../membership/proc-stats.ts'

export interface ProcSample {
  /** resident set now, bytes */
  rss: number
  /** peak resident set since the process started (VmHWM), bytes */
  hwm: number
  /** utime + stime of all threads, seconds */
  cpu: number
}

/** RSS, peak RSS and CPU time of a process from /proc (bench/membership's sampler), in bytes and seconds. */
export async function sampleProc(pid: number): Promise<ProcSample | undefined> {
  const sample = await sampleProcTicks(pid)
  return sample && { rss: sample.rssKb * 1024, hwm: sample.hwmKb * 1024, cpu: sample.ticks / CLK_TCK }
}

/** VmRSS alone (cheaper than sampleProc), bytes; 0 when the process is gone. */
export async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}

/** CPU seconds of a set of processes together (gone ones count 0). */
export async function cpuOf(pids: readonly number[]): Promise<number> {
  const samples = await Promise.all(pids.map(sampleProc))
  return samples.reduce((sum, s) => sum + (s?.cpu ?? 0), 0)
}

/**
 * Samples a process's VmRSS every `everyMs` until stopped; `peak` is the largest value seen. A
 * cross-check of VmHWM that also works without restarting the process.
 */
export class RssSampler {
  readonly #pid: number
  readonly #timer: NodeJS.Timeout
  #peak = 0
  #busy = false

  constructor(pid: number, everyMs = 50) {
    this.#pid = pid
    this.#timer = setInterval(() => {
      if (this.#busy) return
      this.#busy = true
      void rssOf(this.#pid).then((rss) => {
        this.#peak = Math.max(this.#peak, rss)
        this.#busy = false
      })
    }, everyMs)
  }

  async stop(): Promise<number> {
    clearInterval(this.#timer)
    this.#peak = Math.max(this.#peak, await rssOf(this.#pid))
    return this.#peak
  }
}

export interface CpuTotals {
  /** ticks not idle, all cores */
  busy: number
  /** ticks in hard and soft interrupts (loopback networking is softirq work), all cores */
  irq: number
  total: number
}

/** The machine's CPU time so far (all cores) from the first line of /proc/stat, in ticks. */
export async function machineCpu(): Promise<CpuTotals> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? ''
  const [, ...fields] = line.trim().split(/\s+/)
  const v = fields.map(Number)
  const idle = (v[3] ?? 0) + (v[4] ?? 0)
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0)
  return { busy: total - idle, irq: (v[5] ?? 0) + (v[6] ?? 0), total }
}

/** CPU seconds the whole machine was busy, and in interrupts, between two readings (all cores). */
export function busySeconds(before: CpuTotals, after: CpuTotals): { busy: number; irq: number } {
  return { busy: (after.busy - before.busy) / CLK_TCK, irq: (after.irq - before.irq) / CLK_TCK }
}

/** PF_KTHREAD in /proc/PID/stat's flags: a kernel thread (journal commits, writeback, ...). */
const PF_KTHREAD = 0x00200000

/** CPU seconds so far of every kernel thread on the machine together. */
export async function kernelThreadsCpu(): Promise<number> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name))
  const ticks = await Promise.all(
    pids.map(async (pid) => {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        // rest[0] is field 3 (state): flags is field 9, utime 14, stime 15
        if ((Number(rest[6]) & PF_KTHREAD) === 0) return 0
        return Number(rest[11]) + Number(rest[12])
      } catch {
        return 0
      }
    }),
  )
  return ticks.reduce((sum, t) => sum + t, 0) / CLK_TCK
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
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
  }
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverages(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = loadavg()
  return [a, b, c].map((x) => Math.round(x * 100) / 100) as [number, number, number]
}
