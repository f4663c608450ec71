import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { REPO } from '../../test/helpers/test-cloud.ts'
import { median } from '../stats.ts'
import type { GcSummary, ProfileSummary } from './cpu-profile-summary.ts'
import type { OpSample, PhaseResult, SizeResult } from './measure.ts'
import type { MachineInfo } from './proc.ts'

const MiB = 1024 * 1024

/** Issue 4, section 5, and the brief's memory bound. */
export const TARGETS = { putMbps: 80, getMbps: 200, put1MiBMs: 25, rssMb: 300 } as const
/** Tahoe-LAFS 1.20 on this kind of machine, same grid shape, through its web API (issue 4). */
export const TAHOE = { putMbps: 18, getMbps: 34, put1MiBMs: 250 } as const

export interface Config {
  needed: number
  happy: number
  total: number
  maxSegmentSize: number
  servers: number
  serverOptions: Record<string, unknown>
  dataDirFs: string
  /** 1 MiB writes each followed by fdatasync, in the data directory's file system */
  diskMbps: number
  /** median ms of a 4 KiB write followed by fdatasync there */
  syncMs?: number
  /** CPU of the idle cloud (membership, catalogue), cores */
  rest: { seconds: number; gatewayCores: number; storageCores: number }
}

export interface ProfileReport {
  size: number
  count: number
  putMs: number
  getMs: number
  gatewayPut: ProfileSummary
  gatewayGet: ProfileSummary
  storagePut: ProfileSummary
  storageGet: ProfileSummary
  gatewayGcPut?: GcSummary
  gatewayGcGet?: GcSummary
}

export interface BenchResults {
  startedAt: string
  finishedAt: string
  command: string
  commit: string
  machine: MachineInfo
  load: { start: number[]; end: number[] }
  config: Config
  sizes: SizeResult[]
  notes: string[]
  profiles: ProfileReport[]
}

export function sizeLabel(bytes: number): string {
  for (const [unit, factor] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor} ${unit}`
  }
  return `${bytes} B`
}

/** 3 significant digits, no exponent. */
function sig(value: number): string {
  if (!Number.isFinite(value)) return '–'
  if (value === 0) return '0'
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))))
  return value.toFixed(Math.min(digits, 4))
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return '–'
  return value < 10_000 ? `${sig(value)} ms` : `${sig(value / 1000)} s`
}

const mb = (bytes: number) => `${sig(bytes / 1e6)} MB`

function med(samples: readonly OpSample[], pick: (s: OpSample) => number): number {
  return median(samples.map(pick))
}

function range(samples: readonly OpSample[], pick: (s: OpSample) => number, fmt: (v: number) => string) {
  if (samples.length < 2) return ''
  const values = samples.map(pick)
  return ` (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`
}

/** CPU seconds per MiB moved over all reps of a phase. */
function cpuPerMiB(size: number, phase: PhaseResult, pick: (s: OpSample) => number): number {
  const mib = (phase.samples.length * size) / MiB
  return mib > 0 ? phase.samples.reduce((sum, s) => sum + pick(s), 0) / mib : Number.NaN
}

/** Cores' worth of CPU per second of transfer of what `pick` selects: all reps' CPU over all their time. */
function cores(phase: PhaseResult, pick: (s: OpSample) => number): number {
  const cpu = phase.samples.reduce((sum, s) => sum + Math.max(0, pick(s)), 0)
  const seconds = phase.samples.reduce((sum, s) => sum + s.ms / 1000, 0)
  return seconds > 0 ? cpu / seconds : Number.NaN
}

/** Mean of `pick` over the reps (CPU ticks are 10 ms: a median of few-tick values is too coarse). */
function mean(samples: readonly OpSample[], pick: (s: OpSample) => number): number {
  return samples.length > 0 ? samples.reduce((sum, s) => sum + pick(s), 0) / samples.length : Number.NaN
}

/** CPU of processes other than the cloud, the benchmark and the kernel's threads and interrupts. */
const othersCpu = (s: OpSample) =>
  s.machineCpu - s.gatewayCpu - s.storageCpu - s.benchCpu - s.kernelCpu - s.irqCpu

/** Other processes on the machine during the ops, in cores. */
export function othersCores(phase: PhaseResult): number {
  return cores(phase, othersCpu)
}

/** The cloud's CPU for one op: its processes, plus kernel threads and interrupts (fsync, loopback). */
const cloudCpu = (s: OpSample) => s.gatewayCpu + s.storageCpu + s.kernelCpu + s.irqCpu

function sizeOf(results: BenchResults, bytes: number): SizeResult | undefined {
  return results.sizes.find((s) => s.size === bytes && s.put.samples.length > 0)
}

interface TargetRow {
  measure: string
  figure: string
  target: string
  vsTarget: string
  tahoe: string
  vsTahoe: string
}

/** Ratios are "times better": ≥ 1 meets the target or beats Tahoe. */
export function targetRows(results: BenchResults): TargetRow[] {
  const rows: TargetRow[] = []
  const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–')
  const s100 = sizeOf(results, 100 * MiB)
  if (s100) {
    const put = med(s100.put.samples, (s) => s.mbps)
    const get = med(s100.get.samples, (s) => s.mbps)
    rows.push({
      measure: 'put MB/s, 100 MiB',
      figure: sig(put),
      target: `≥ ${TARGETS.putMbps}`,
      vsTarget: x(put / TARGETS.putMbps),
      tahoe: String(TAHOE.putMbps),
      vsTahoe: x(put / TAHOE.putMbps),
    })
    rows.push({
      measure: 'get MB/s, 100 MiB',
      figure: sig(get),
      target: `≥ ${TARGETS.getMbps}`,
      vsTarget: x(get / TARGETS.getMbps),
      tahoe: String(TAHOE.getMbps),
      vsTahoe: x(get / TAHOE.getMbps),
    })
  }
  const s1 = sizeOf(results, MiB)
  if (s1) {
    const put = med(s1.put.samples, (s) => s.ms)
    rows.push({
      measure: 'put latency, 1 MiB',
      figure: ms(put),
      target: `≤ ${TARGETS.put1MiBMs} ms`,
      vsTarget: x(TARGETS.put1MiBMs / put),
      tahoe: `~${TAHOE.put1MiBMs} ms`,
      vsTahoe: x(TAHOE.put1MiBMs / put),
    })
  }
  const s1g = sizeOf(results, 1024 * MiB)
  if (s1g) {
    for (const kind of ['put', 'get'] as const) {
      const peak = Math.max(s1g[kind].hwm, ...s1g[kind].samples.map((s) => s.sampledPeakRss))
      rows.push({
        measure: `gateway peak RSS, 1 GiB ${kind}`,
        figure: mb(peak),
        target: `< ${TARGETS.rssMb} MB`,
        vsTarget: x((TARGETS.rssMb * 1e6) / peak),
        tahoe: '',
        vsTahoe: '',
      })
    }
  }
  return rows
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export function speedTable(results: BenchResults): string {
  return table(
    [
      'size',
      'reps',
      'put MB/s',
      'put latency (min–max)',
      'of which body received',
      'get MB/s',
      'get latency (min–max)',
      'get first byte',
    ],
    results.sizes.map((r) => [
      r.label,
      String(r.put.samples.length),
      `**${sig(med(r.put.samples, (s) => s.mbps))}**`,
      `${ms(med(r.put.samples, (s) => s.ms))}${range(r.put.samples, (s) => s.ms, ms)}`,
      ms(med(r.put.samples, (s) => s.phaseMs)),
      `**${sig(med(r.get.samples, (s) => s.mbps))}**`,
      `${ms(med(r.get.samples, (s) => s.ms))}${range(r.get.samples, (s) => s.ms, ms)}`,
      ms(med(r.get.samples, (s) => s.phaseMs)),
    ]),
  )
}

export function costTable(results: BenchResults): string {
  const cpuCores = results.machine.cores
  return table(
    [
      'size',
      'gateway CPU s/MiB put / get',
      'storage CPU s/MiB put / get',
      'cloud CPU s/MiB put / get',
      `${cpuCores}-core ceiling MB/s put / get`,
      'gateway CPU per op (mean) put / get',
      'gateway peak RSS put / get',
      'gateway RSS before',
    ],
    results.sizes.map((r) => {
      const peak = (p: PhaseResult) => Math.max(p.hwm, ...p.samples.map((s) => s.sampledPeakRss))
      const per = (p: PhaseResult, pick: (s: OpSample) => number) => cpuPerMiB(r.size, p, pick)
      const ceiling = (p: PhaseResult) => (cpuCores / per(p, cloudCpu)) * (MiB / 1e6)
      return [
        r.label,
        `${sig(per(r.put, (s) => s.gatewayCpu))} / ${sig(per(r.get, (s) => s.gatewayCpu))}`,
        `${sig(per(r.put, (s) => s.storageCpu))} / ${sig(per(r.get, (s) => s.storageCpu))}`,
        `${sig(per(r.put, cloudCpu))} / ${sig(per(r.get, cloudCpu))}`,
        `${sig(ceiling(r.put))} / ${sig(ceiling(r.get))}`,
        `${ms(1000 * mean(r.put.samples, (s) => s.gatewayCpu))} / ${ms(1000 * mean(r.get.samples, (s) => s.gatewayCpu))}`,
        `${mb(peak(r.put))} / ${mb(peak(r.get))}`,
        mb(median([r.put.rssBefore, r.get.rssBefore])),
      ]
    }),
  )
}

export function loadTable(results: BenchResults): string {
  const both = (r: SizeResult, pick: (s: OpSample) => number) =>
    `${sig(cores(r.put, pick))} / ${sig(cores(r.get, pick))}`
  return table(
    [
      'size',
      'gateway put / get',
      'storage servers',
      'kernel threads',
      'interrupts',
      'benchmark',
      'other processes',
      'load average before → after (put; get)',
    ],
    results.sizes.map((r) => [
      r.label,
      both(r, (s) => s.gatewayCpu),
      both(r, (s) => s.storageCpu),
      both(r, (s) => s.kernelCpu),
      both(r, (s) => s.irqCpu),
      both(r, (s) => s.benchCpu),
      both(r, othersCpu),
      `${r.put.load.before[0]} → ${r.put.load.after[0]}; ${r.get.load.before[0]} → ${r.get.load.after[0]}`,
    ]),
  )
}

export function targetsTable(results: BenchResults): string {
  const rows = targetRows(results)
  if (rows.length === 0) return '(no size with a target was measured)'
  return table(
    ['measure', 'Cloudy (median)', 'target', '÷ target', 'Tahoe-LAFS 1.20', '÷ Tahoe'],
    rows.map((r) => [r.measure, `**${r.figure}**`, r.target, r.vsTarget, r.tahoe, r.vsTahoe]),
  )
}

function costRows(rows: ProfileSummary['self']): string {
  return table(
    ['ms', '% of busy', 'what'],
    rows.map((r) => [String(r.ms), `${r.pct.toFixed(1)} %`, `\`${r.what}\``]),
  )
}

function gcLine(gc: GcSummary | undefined): string[] {
  if (gc === undefined) return []
  const kinds = Object.entries(gc.byKind)
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([kind, k]) => `${k.count} ${kind} (${k.ms} ms)`)
  const m = (x: GcSummary['memory']['start']) =>
    `heap ${x.heapUsed} MB, external ${x.external} MB (array buffers ${x.arrayBuffers} MB)`
  return [
    `Garbage collections in the window (perf_hooks): ${kinds.join(', ') || 'none'}. Memory at the profiler's start: ${m(gc.memory.start)}; at its stop: ${m(gc.memory.end)}.`,
    '',
  ]
}

function profileSection(p: ProfileReport): string {
  const part = (title: string, s: ProfileSummary, inclusive: boolean, gc?: GcSummary) =>
    [
      `#### ${title}`,
      '',
      `${s.profiles} profile${s.profiles === 1 ? '' : 's'}, ${s.wallMs} ms of wall time, ${s.busyMs} ms busy on the main thread${s.profiles > 1 ? '(s)' : ''} (the rest idle, waiting for I/O).`,
      '',
      ...gcLine(gc),
      'By module (self time):',
      '',
      costRows(s.modules.slice(0, 10)),
      '',
      'Functions by self time:',
      '',
      costRows(s.self.slice(0, 12)),
      ...(inclusive
        ? ['', 'Cloudy functions by inclusive time:', '', costRows(s.inclusive.slice(0, 12))]
        : []),
      '',
    ].join('\n')
  return [
    `${p.count === 1 ? 'One put' : `${p.count} puts`} (${p.count === 1 ? '' : 'median '}${ms(p.putMs)}) and ${p.count === 1 ? 'one get' : `${p.count} gets`} (${ms(p.getMs)}) of ${sizeLabel(p.size)}, after one unprofiled put and get of that size, with V8's sampling profiler running in every daemon (\`cpu-profile-hook.js\`, 0.5 ms interval), counting only the samples taken between the first request's start and the last answer's end. The storage daemons' figures include their background work (membership and catalogue over the libp2p overlay: the \`@libp2p/*\` rows). Native work done on the main thread (OpenSSL, hashing, TLS) appears under the JavaScript function that called it or as \`(program)\`; fsync and file I/O run on libuv's thread pool and do not appear. The sampler runs on wall-clock time: "busy" counts every sample in which the main thread was not idle, including time it waited for a core on this loaded machine, so the shares matter more than the milliseconds.`,
    '',
    part('Gateway, put', p.gatewayPut, true, p.gatewayGcPut),
    part('Gateway, get', p.gatewayGet, true, p.gatewayGcGet),
    part('Storage servers together, put', p.storagePut, true),
    part('Storage servers together, get', p.storageGet, true),
  ].join('\n')
}

export function renderMarkdown(results: BenchResults): string {
  const m = results.machine
  const c = results.config
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ')
  const others = results.sizes.flatMap((r) => [othersCores(r.put), othersCores(r.get)])
  const errors = results.sizes.flatMap((r) => r.errors.map((e) => `${r.label}: ${e}`))
  return `# Storage: the full path (API → gateway → HTTPS storage protocol → ${c.servers} servers → fsynced disk)

Run ${results.startedAt} → ${results.finishedAt}, commit ${results.commit}. Command: \`${results.command}\`.

Machine: ${m.cores} × ${m.cpuModel}, ${m.memGiB} GiB, Linux ${m.kernel}, Node ${m.node}. It is shared with other
work: load average (1 / 5 / 15 min) ${load(results.load.start)} at the start and ${load(results.load.end)} at the end;
during the transfers, processes other than the cloud, the benchmark and the kernel used a median of
${sig(median(others))} cores (per size and direction: "Who used the cores" below).

Configuration: gateway node-1 (runs no storage server) and ${c.servers} storage server processes (node-2 …
node-${c.servers + 1}), each a real Cloudy daemon on 127.0.0.1 with the built-in \`storage\` service
(\`${JSON.stringify(c.serverOptions)}\`); product timings; encoding k=${c.needed}, happy=${c.happy}, N=${c.total}, maximum segment
${sizeLabel(c.maxSegmentSize)} (the product defaults); data directories on ${c.dataDirFs}, where 1 MiB writes each followed by
fdatasync run at ${sig(c.diskMbps)} MB/s${c.syncMs === undefined ? '' : ` and a 4 KiB write with fdatasync takes ${sig(c.syncMs)} ms (median)`}. Uploads: \`PUT /api/v1/uri\` with the file streamed from disk
(Content-Length set); downloads: \`GET /api/v1/uri/CAP\` streamed into SHA-256 and checked against the upload.
Every rep is a different random file (convergent encryption would otherwise find the shares already
stored). The gateway is restarted before the puts and before the gets of each size and warmed up with one
64 KiB put and get (TLS connections to every server), so each phase's peak RSS is its own.
MB = 10^6 bytes.

## Throughput and latency (medians)

${speedTable(results)}

"Body received": the client has handed the last byte to the socket; the gateway spools the body
(encrypted) to its disk as it arrives and starts encoding only after the end.

## Cost per MiB and memory

${costTable(results)}

CPU from /proc/PID/stat (utime + stime, all threads; 10 ms ticks, so tiny files read coarsely), summed over
the reps and divided by the MiB moved; "storage" is all ${c.servers} server processes together. "Cloud" adds the
kernel threads (journal commits and writeback, mostly for the servers' fsyncs) and interrupts (loopback
TCP runs as softirq, charged to no process) during the transfers; the ceiling is what the machine's
${m.cores} cores could move at that cost if the cloud had them to itself and used them all. Peak RSS: the larger of the
gateway's VmHWM at the end of the phase (peak since its restart, warm-up included) and its VmRSS sampled
every 50 ms during the transfers. The figures include the cloud's background work: at rest
(${c.rest.seconds} s before the first transfer) the gateway used ${sig(c.rest.gatewayCores)} and the ${c.servers} storage daemons together
${sig(c.rest.storageCores)} cores (membership, catalogue).

## Who used the ${m.cores} cores during the transfers

Cores (CPU seconds per second of transfer, all reps together), put / get:

${loadTable(results)}

"Other processes": the machine's busy time minus all of the above: other people's work on this
shared machine (and processes that came and went).

## Against the targets and Tahoe-LAFS 1.20

${targetsTable(results)}

Ratios are "times better": ≥ 1 meets the target or beats Tahoe (for latency and memory the ratio is
target ÷ figure). Tahoe's figures are the issue's reference (Tahoe-LAFS 1.20, same grid shape, web API, this
kind of machine), not measured in this run.
${results.profiles.map((p) => `\n## Where the time goes: ${sizeLabel(p.size)}\n\n${profileSection(p)}`).join('\n')}
${errors.length > 0 ? `\n## Errors\n\n${errors.map((e) => `- ${e}`).join('\n')}\n` : ''}${results.notes.length > 0 ? `\n## Notes\n\n${results.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`
}

/**
 * Formats a written markdown file with the repository's biome (as \`npm run format\` would), so that a
 * fresh RESULTS file passes \`biome check\`. Best effort: without biome the file stays as written.
 */
export function formatMarkdownFile(path: string): void {
  try {
    execFileSync(join(REPO, 'node_modules/.bin/biome'), ['format', '--write', path], {
      cwd: dirname(path),
      stdio: 'ignore',
    })
  } catch {
    // not formatted: harmless
  }
}
