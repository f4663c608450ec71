import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { median } from '../stats.ts'
import {
  busySeconds,
  cpuOf,
  kernelThreadsCpu,
  loadAverages,
  machineCpu,
  RssSampler,
  sampleProc,
} from './proc.ts'
import type { BenchNode, StorageCloud } from './storage-cloud.ts'
import { getFile, type InputFile, putFile, writeRandomFile } from './transfer.ts'

/** One put or get. */
export interface OpSample {
  ms: number
  /** 10^6 bytes per second */
  mbps: number
  /** put: the body fully sent (the gateway has spooled it); get: the first body byte */
  phaseMs: number
  gatewayCpu: number
  storageCpu: number
  benchCpu: number
  /** CPU seconds of the whole machine (all processes, both cores) during the op */
  machineCpu: number
  /** of which interrupts (loopback networking runs as softirq, charged to no process) */
  irqCpu: number
  /** of which kernel threads (journal commits, writeback: mostly the servers' fsyncs) */
  kernelCpu: number
  /** largest gateway VmRSS seen while sampling every 50 ms */
  sampledPeakRss: number
}

export interface PhaseResult {
  samples: OpSample[]
  /** the gateway's VmHWM at the end of the phase: its peak since the restart before the phase */
  hwm: number
  /** the gateway's RSS after the restart and the warm-up, before the first measured op */
  rssBefore: number
  /** the warm-up op right after the restart (new TLS connections to every server), ms */
  warmupMs: number
  load: { before: [number, number, number]; after: [number, number, number] }
}

export interface SizeResult {
  size: number
  label: string
  reps: number
  put: PhaseResult
  get: PhaseResult
  errors: string[]
}

const WARMUP_SIZE = 64 * 1024

/** A generous bound on one op: two minutes plus 1 s per MB. */
export function timeoutFor(size: number): number {
  return Math.round(120_000 + size / 1000)
}

/** Runs one transfer through `gateway` and measures it (CPU, machine, the gateway's RSS). */
export async function measureOp(
  cloud: StorageCloud,
  gateway: BenchNode,
  size: number,
  op: () => Promise<{ ms: number; phaseMs: number }>,
): Promise<OpSample> {
  const gatewayPid = gateway.pid
  const storagePids = cloud.storagePids()
  const [gw0, st0, k0, m0] = await Promise.all([
    sampleProc(gatewayPid),
    cpuOf(storagePids),
    kernelThreadsCpu(),
    machineCpu(),
  ])
  const bench0 = process.cpuUsage()
  const sampler = new RssSampler(gatewayPid)
  let result: { ms: number; phaseMs: number }
  let peak = 0
  try {
    result = await op()
  } finally {
    peak = await sampler.stop()
  }
  const bench1 = process.cpuUsage(bench0)
  const [gw1, st1, k1, m1] = await Promise.all([
    sampleProc(gatewayPid),
    cpuOf(storagePids),
    kernelThreadsCpu(),
    machineCpu(),
  ])
  const machine = busySeconds(m0, m1)
  return {
    ms: result.ms,
    mbps: size / 1e6 / (result.ms / 1000),
    phaseMs: result.phaseMs,
    gatewayCpu: (gw1?.cpu ?? 0) - (gw0?.cpu ?? 0),
    storageCpu: st1 - st0,
    benchCpu: (bench1.user + bench1.system) / 1e6,
    machineCpu: machine.busy,
    irqCpu: machine.irq,
    kernelCpu: k1 - k0,
    sampledPeakRss: peak,
  }
}

/** A small put and get through `gateway`: TLS connections to every server. */
export async function warmup(gateway: BenchNode, dir: string): Promise<{ ms: number; cap: string }> {
  const file = await writeRandomFile(join(dir, `warmup-${randomBytes(4).toString('hex')}`), WARMUP_SIZE)
  try {
    const put = await putFile(gateway, file, timeoutFor(WARMUP_SIZE))
    const got = await getFile(gateway, put.cap, timeoutFor(WARMUP_SIZE))
    if (got.sha256 !== file.sha256) throw new Error('the warm-up download differs from its upload')
    return { ms: put.ms + got.ms, cap: put.cap }
  } finally {
    await rm(file.path, { force: true })
  }
}

/**
 * Put then get of `reps` distinct random files of `size` bytes through the gateway's API.
 * Convergent encryption gives the same file the same storage index, and a server that already
 * holds a share is not sent it again, so every rep uploads a file of its own. The gateway is
 * restarted before the puts and before the gets, so that each phase's VmHWM is its own peak, then
 * warmed up with a small put and get (TLS connections to every server). Every download is checked
 * against the upload's SHA-256.
 */
export async function measureSize(
  cloud: StorageCloud,
  size: number,
  label: string,
  reps: number,
  dir: string,
  log: (text: string) => void,
): Promise<SizeResult> {
  const errors: string[] = []
  const files: InputFile[] = []
  try {
    for (let i = 0; i < reps; i++) files.push(await writeRandomFile(join(dir, `input-${label}-${i}`), size))
    const timeout = timeoutFor(size)

    const phase = async (
      kind: 'put' | 'get',
      run: (file: InputFile, i: number) => Promise<OpSample | undefined>,
    ): Promise<PhaseResult> => {
      await cloud.restartGateway()
      const warm = await warmup(cloud.gateway, dir)
      const rssBefore = (await sampleProc(cloud.gateway.pid))?.rss ?? 0
      const loadBefore = loadAverages()
      const samples: OpSample[] = []
      for (const [i, file] of files.entries()) {
        try {
          const sample = await run(file, i)
          if (sample) {
            samples.push(sample)
            log(
              `  ${label} ${kind} ${i + 1}/${reps}: ${Math.round(sample.ms)} ms, ${sample.mbps.toFixed(1)} MB/s`,
            )
          }
        } catch (err) {
          errors.push(`${kind} ${i + 1}: ${(err as Error).message}`)
          log(`  ${label} ${kind} ${i + 1}/${reps} FAILED: ${(err as Error).message}`)
        }
      }
      const hwm = (await sampleProc(cloud.gateway.pid))?.hwm ?? 0
      return {
        samples,
        hwm,
        rssBefore,
        warmupMs: warm.ms,
        load: { before: loadBefore, after: loadAverages() },
      }
    }

    const caps: (string | undefined)[] = []
    const put = await phase('put', async (file, i) => {
      const sample = await measureOp(cloud, cloud.gateway, size, async () => {
        const t = await putFile(cloud.gateway, file, timeout)
        caps[i] = t.cap
        const servers = new Set(Object.values(t.placement)).size
        if (size > 55 && servers !== cloud.servers.length) {
          errors.push(`put ${i + 1}: shares on ${servers} servers, not ${cloud.servers.length}`)
        }
        return { ms: t.ms, phaseMs: t.sentMs }
      })
      return sample
    })
    const get = await phase('get', async (file, i) => {
      const cap = caps[i]
      if (cap === undefined) return undefined
      return measureOp(cloud, cloud.gateway, size, async () => {
        const t = await getFile(cloud.gateway, cap, timeout)
        if (t.bytes !== file.size || t.sha256 !== file.sha256) {
          throw new Error(`download ${i + 1} differs from its upload (${t.bytes} bytes, sha256 ${t.sha256})`)
        }
        return { ms: t.ms, phaseMs: t.firstByteMs }
      })
    })
    return { size, label, reps, put, get, errors }
  } finally {
    await Promise.all(files.map((f) => rm(f.path, { force: true })))
  }
}

/** V8's profile clock: CLOCK_MONOTONIC in microseconds, like process.hrtime. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

export interface ProfileWindow {
  fromUs: number
  toUs: number
  fromMs: number
  toMs: number
}

export interface ProfileRun {
  size: number
  count: number
  /** median of the profiled transfers */
  putMs: number
  getMs: number
  /** the transfers' time window on the profiles' clock (µs) and as epoch ms */
  putWindow: ProfileWindow
  getWindow: ProfileWindow
  gateway: { put: string; get: string }
  storage: { put: string[]; get: string[] }
}

/**
 * `count` puts, then `count` gets, of distinct files of `size` bytes, one after the other, with
 * V8's CPU profiler running in the gateway and in every storage server (cpu-profile-hook.js). One
 * unprofiled put and get of the same size go first, so that the connection pools are as full as in
 * the measured reps.
 */
export async function profileTransfers(
  cloud: StorageCloud,
  size: number,
  count: number,
  dir: string,
  log: (text: string) => void,
): Promise<ProfileRun> {
  const files: InputFile[] = []
  try {
    for (let i = 0; i <= count; i++) files.push(await writeRandomFile(join(dir, `input-profiled-${i}`), size))
    const timeout = timeoutFor(size)
    const [first, ...profiledFiles] = files as [InputFile, ...InputFile[]]
    const warm = await putFile(cloud.gateway, first, timeout)
    await getFile(cloud.gateway, warm.cap, timeout)
    const nodes = cloud.nodes
    const profiled = async <T>(
      what: string,
      run: (file: InputFile, i: number) => Promise<T>,
    ): Promise<{ results: T[]; paths: string[]; window: ProfileWindow }> => {
      await Promise.all(nodes.map((n) => n.startProfile()))
      const fromMs = Date.now()
      const fromUs = monotonicUs()
      const results: T[] = []
      for (const [i, file] of profiledFiles.entries()) results.push(await run(file, i))
      const toUs = monotonicUs()
      const toMs = Date.now()
      const paths = await Promise.all(nodes.map((n) => n.stopProfile()))
      log(`  profiled ${count} ${what}${count === 1 ? '' : 's'} of ${size} bytes`)
      return { results, paths, window: { fromUs, toUs, fromMs, toMs } }
    }
    const put = await profiled('put', (file) => putFile(cloud.gateway, file, timeout))
    const get = await profiled('get', async (file, i) => {
      const t = await getFile(cloud.gateway, put.results[i]?.cap ?? '', timeout)
      if (t.sha256 !== file.sha256) throw new Error('a profiled download differs from its upload')
      return t
    })
    const [gwPut = '', ...stPut] = put.paths
    const [gwGet = '', ...stGet] = get.paths
    return {
      size,
      count,
      putMs: median(put.results.map((r) => r.ms)),
      getMs: median(get.results.map((r) => r.ms)),
      putWindow: put.window,
      getWindow: get.window,
      gateway: { put: gwPut, get: gwGet },
      storage: { put: stPut, get: stGet },
    }
  } finally {
    await Promise.all(files.map((f) => rm(f.path, { force: true })))
  }
}
