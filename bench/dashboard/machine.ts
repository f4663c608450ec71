import { readdir, readFile } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { round } from './stats.ts'

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

export function loadAverage(): number {
  return round(loadavg()[0] ?? 0, 2)
}

export interface CpuTotals {
  busy: number
  total: number
}

/** The machine's CPU time so far (all cores) from the first line of /proc/stat, in ticks. */
export async function cpuTotals(): Promise<CpuTotals> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? ''
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  const idle = (v[3] ?? 0) + (v[4] ?? 0)
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0)
  return { busy: total - idle, total }
}

/** Share of the whole machine (all cores) that was busy between two readings, in %. */
export function busyPct(before: CpuTotals, after: CpuTotals): number {
  const total = after.total - before.total
  return total > 0 ? round((100 * (after.busy - before.busy)) / total, 1) : Number.NaN
}

/** Parent pid of every process, from /proc/<pid>/stat. */
async function parents(): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (Number.isFinite(ppid)) out.set(Number(pid), ppid)
  }
  return out
}

/**
 * Processes of other work that compete for the CPU on a shared machine: cloudy daemons, vitest
 * workers and chromium browsers that are not descendants of this process.
 */
export async function foreignProcesses(): Promise<Record<string, number>> {
  const ppids = await parents()
  const ours = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
      if (p === process.pid) return true
      p = ppids.get(p)
    }
    return false
  }
  const counts: Record<string, number> = { 'cloudy daemons': 0, vitest: 0, chromium: 0 }
  const add = (k: string) => {
    counts[k] = (counts[k] ?? 0) + 1
  }
  for (const pid of ppids.keys()) {
    if (ours(pid)) continue
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8')
      .then((c) => c.replaceAll('\0', ' '))
      .catch(() => '')
    if (/cloudy\.js start/.test(cmd)) add('cloudy daemons')
    else if (/vitest/.test(cmd)) add('vitest')
    else if (/^\S*\/chromium\s/.test(cmd) && !cmd.includes('--type=')) add('chromium')
  }
  return counts
}
