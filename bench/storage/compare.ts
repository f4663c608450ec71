// Two (or more) builds of the gateway side by side in one run: the same cloud of 10 storage servers,
// one gateway daemon per build (none runs a storage server), the same files put and got through each
// in turn (the order rotates every rep), so that load from other processes falls on all alike.
// Throughput and CPU per MiB of each gateway, and of the servers while it works.
//
//   sh bench/storage/compare-run.sh REV [options]     # this checkout's HEAD against REV
//   node --import tsx bench/storage/compare.ts --this NAME --other NAME=DIR [--sizes ...] [--reps N]
//
// DIR is a checkout with dist/ and build/wasm built (bin/cloudy.js is run from it).
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { median } from '../stats.ts'
import { type GcSummary, type ProfileSummary, summarizeGc, summarizeProfiles } from './cpu-profile-summary.ts'
import { measureOp, type OpSample, timeoutFor, warmup } from './measure.ts'
import { loadAverages, machineInfo } from './proc.ts'
import { formatMarkdownFile, sizeLabel } from './report.ts'
import { type BenchNode, StorageCloud } from './storage-cloud.ts'
import { getFile, type InputFile, putFile, writeRandomFile } from './transfer.ts'

const MiB = 1024 * 1024

const USAGE = `usage: node --import tsx bench/storage/compare.ts --other NAME=DIR [options]
  --this NAME         label of this checkout's gateway (default: this)
  --other NAME=DIR    another build's gateway (repeatable): DIR holds bin/cloudy.js, dist/, build/wasm
  --sizes LIST        sizes (default 10MiB,100MiB)
  --reps N            puts and gets per size and gateway (default 6)
  --out FILE          markdown results (default bench/storage/RESULTS-compare.md)
  --json FILE         every sample as JSON as well`

const { values } = parseArgs({
  options: {
    this: { type: 'string', default: 'this' },
    other: { type: 'string', multiple: true, default: [] },
    sizes: { type: 'string', default: '10MiB,100MiB' },
    reps: { type: 'string', default: '6' },
    out: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help || values.other.length === 0) {
  console.log(USAGE)
  process.exit(values.help ? 0 : 2)
}
const others = values.other.map((item) => {
  const at = item.indexOf('=')
  if (at <= 0) throw new Error(`--other wants NAME=DIR, not "${item}"`)
  return { name: item.slice(0, at), entry: resolve(item.slice(at + 1), 'bin/cloudy.js') }
})
const sizes = values.sizes.split(',').map((text) => {
  const m = /^(\d+)(KiB|MiB|GiB)$/.exec(text.trim())
  if (!m) throw new Error(`"${text}" is not a size such as 10MiB`)
  return Number(m[1]) * { KiB: 1024, MiB, GiB: 1024 * MiB }[m[2] as 'KiB' | 'MiB' | 'GiB']
})
const reps = Number(values.reps)
const out = resolve(values.out ?? resolve(import.meta.dirname, 'RESULTS-compare.md'))
const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`)

interface Row {
  size: number
  gateway: string
  put: OpSample[]
  get: OpSample[]
  errors: string[]
  /** the gateway's garbage collections and top self-time functions during each phase */
  profile: Partial<Record<'put' | 'get', { gc?: GcSummary; top: ProfileSummary['self']; busyMs: number }>>
}

const startedAt = new Date().toISOString()
const loadStart = loadAverages()
const rows: Row[] = []
let cloud: StorageCloud | undefined
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void (cloud?.cleanup() ?? Promise.resolve()).finally(() => process.exit(130)))
}
try {
  cloud = await StorageCloud.create({ servers: 10, extraGateways: others, progress: log })
  const gateways: { name: string; node: BenchNode }[] = [
    { name: values.this, node: cloud.gateway },
    ...others.map((o, i) => ({ name: o.name, node: cloud?.extraGateways[i] as BenchNode })),
  ]
  const dir = join(cloud.root, 'inputs')
  await mkdir(dir)
  for (const g of gateways) await warmup(g.node, dir)
  for (const size of sizes) {
    log(`${sizeLabel(size)}: ${reps} puts and gets through each of ${gateways.map((g) => g.name).join(', ')}`)
    const files: InputFile[] = []
    for (let i = 0; i < reps; i++) files.push(await writeRandomFile(join(dir, `input-${i}`), size))
    const byGateway = new Map(
      gateways.map((g): [string, Row] => [
        g.name,
        { size, gateway: g.name, put: [], get: [], errors: [], profile: {} },
      ]),
    )
    const caps = new Map<string, string>()
    const turn = (i: number) =>
      gateways.map((_, j) => gateways[(i + j) % gateways.length] as (typeof gateways)[0])
    for (const [kind, run] of [
      [
        'put',
        async (g: (typeof gateways)[0], file: InputFile, i: number) =>
          measureOp(cloud as StorageCloud, g.node, size, async () => {
            const t = await putFile(g.node, file, timeoutFor(size))
            caps.set(`${g.name}/${i}`, t.cap)
            return { ms: t.ms, phaseMs: t.sentMs }
          }),
      ],
      [
        'get',
        async (g: (typeof gateways)[0], file: InputFile, i: number) =>
          measureOp(cloud as StorageCloud, g.node, size, async () => {
            const t = await getFile(g.node, caps.get(`${g.name}/${i}`) ?? '', timeoutFor(size))
            if (t.sha256 !== file.sha256) throw new Error('the download differs from its upload')
            return { ms: t.ms, phaseMs: t.firstByteMs }
          }),
      ],
    ] as const) {
      // each gateway's CPU profiler and GC log run for the whole phase (cpu-profile-hook.js)
      await Promise.all(gateways.map((g) => g.node.startProfile()))
      const fromMs = Date.now()
      for (const [i, file] of files.entries()) {
        for (const g of turn(i)) {
          const row = byGateway.get(g.name) as Row
          try {
            const sample = await run(g, file, i)
            row[kind].push(sample)
            log(
              `  ${g.name} ${kind} ${i + 1}/${reps}: ${Math.round(sample.ms)} ms, ${sample.mbps.toFixed(1)} MB/s`,
            )
          } catch (err) {
            row.errors.push(`${kind} ${i + 1}: ${(err as Error).message}`)
            log(`  ${g.name} ${kind} ${i + 1}/${reps} FAILED: ${(err as Error).message}`)
          }
        }
      }
      const window = { fromMs, toMs: Date.now() }
      for (const g of gateways) {
        const path = await g.node.stopProfile()
        const summary = await summarizeProfiles([path], { count: 6 })
        const gc = await summarizeGc(path, window)
        ;(byGateway.get(g.name) as Row).profile[kind] = {
          ...(gc && { gc }),
          top: summary.self,
          busyMs: summary.busyMs,
        }
      }
    }
    rows.push(...byGateway.values())
    await Promise.all(files.map((f) => rm(f.path, { force: true })))
  }
} finally {
  await cloud?.cleanup()
}

const sig = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : '–')
const perMiB = (samples: OpSample[], size: number, pick: (s: OpSample) => number) =>
  samples.reduce((sum, s) => sum + pick(s), 0) / ((samples.length * size) / MiB)
const med = (samples: OpSample[], pick: (s: OpSample) => number) => median(samples.map(pick))
const lines = rows.map((r) => [
  sizeLabel(r.size),
  r.gateway,
  String(r.put.length),
  `**${sig(med(r.put, (s) => s.mbps))}**`,
  sig(perMiB(r.put, r.size, (s) => s.gatewayCpu)),
  sig(perMiB(r.put, r.size, (s) => s.storageCpu)),
  `**${sig(med(r.get, (s) => s.mbps))}**`,
  sig(perMiB(r.get, r.size, (s) => s.gatewayCpu)),
  sig(perMiB(r.get, r.size, (s) => s.storageCpu)),
])
const header = [
  'size',
  'gateway',
  'reps',
  'put MB/s',
  'put: gateway CPU s/MiB',
  'put: storage CPU s/MiB',
  'get MB/s',
  'get: gateway CPU s/MiB',
  'get: storage CPU s/MiB',
]
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
const gcText = (gc: GcSummary | undefined) =>
  gc === undefined
    ? ''
    : Object.entries(gc.byKind)
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([kind, k]) => `${k.count} ${kind} (${k.ms} ms)`)
        .join(', ')
const profileLines = rows.flatMap((r) =>
  (['put', 'get'] as const).flatMap((kind) => {
    const p = r.profile[kind]
    if (!p) return []
    const top = p.top
      .slice(0, 4)
      .map((t) => `${t.what.replace(/ \S+:\d+$/, '')} ${t.pct.toFixed(0)} %`)
      .join('; ')
    return [
      `- ${sizeLabel(r.size)} ${kind}, \`${r.gateway}\`: busy ${p.busyMs} ms; GC ${gcText(p.gc)}; top self time: ${top}`,
    ]
  }),
)
const m = machineInfo()
const errors = rows.flatMap((r) => r.errors.map((e) => `${sizeLabel(r.size)} ${r.gateway}: ${e}`))
const markdown = `# Storage gateways side by side

Run ${startedAt} → ${new Date().toISOString()}. Command: \`${process.env.CLOUDY_BENCH_COMMAND ?? `node --import tsx bench/storage/compare.ts ${process.argv.slice(2).join(' ')}`}\`.
Gateways: ${[values.this, ...others.map((o) => o.name)].map((n) => `\`${n}\``).join(', ')}${process.env.CLOUDY_BENCH_COMMIT ? ` (${process.env.CLOUDY_BENCH_COMMIT})` : ''}.

Machine: ${m.cores} × ${m.cpuModel}, Node ${m.node}; load average ${loadStart.join(' / ')} at the start, ${loadAverages().join(' / ')} at the end (the cloud's own 12 daemons count in it).

One cloud: 10 storage servers (this checkout's build, \`reserved: 0\`), and one gateway daemon per build,
none of them a storage server; product timings and encoding (k=3, happy=7, N=10, 1 MiB segments). For
each size, the same random files are put through every gateway in turn (each gateway has its own
convergence secret, so each upload is new to the servers), the order rotating every rep, then got back
the same way and checked by SHA-256. CPU from /proc (all threads), summed over the reps and divided by
the MiB moved; "storage" is the 10 servers while that gateway's transfer ran. Medians; MB = 10^6 bytes.

${fmt(header)}
${fmt(widths.map((w) => '-'.repeat(w)))}
${lines.map(fmt).join('\n')}

Each gateway's main thread during each phase (V8's sampling profiler and perf_hooks' GC entries, for the
whole phase: the gateways took turns, so each was idle while the other worked):

${profileLines.join('\n')}
${errors.length > 0 ? `\nErrors:\n\n${errors.map((e) => `- ${e}`).join('\n')}\n` : ''}`
await writeFile(out, markdown)
formatMarkdownFile(out)
if (values.json) await writeFile(resolve(values.json), `${JSON.stringify(rows, null, 2)}\n`)
console.log(`\n${fmt(header)}\n${lines.map(fmt).join('\n')}\n`)
log(`results in ${out}`)
