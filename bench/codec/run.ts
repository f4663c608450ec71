// Erasure-coder benchmark: zfec 3-of-10 encode and decode throughput, WebAssembly SIMD kernel vs the
// portable JS one, on 1 MiB and 128 KiB segments (Tahoe's default segment size is 128 KiB; 1 MiB is
// the speed target's case: ≥ 500 MB/s of input encoded on one thread).
//
//   npm run build:wasm && npx tsx bench/codec/run.ts [--samples 15] [--out bench/codec/RESULTS.md]
//
// Each sample repeats one operation for at least 50 ms and counts segment bytes per second (the k input
// blocks; for decode, the k blocks rebuilt). Samples of all configurations are taken in turn, so that
// load from other processes on the machine falls on all of them alike; figures are medians.
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { createZfec, type ZfecCoder } from '../../src/storage/codec/zfec.ts'
import { median, percentile } from '../stats.ts'

const TARGET_MB_S = 500
const K = 3
const N = 10
const SEGMENTS = [
  { name: '1 MiB', bytes: 1 << 20 },
  { name: '128 KiB', bytes: 128 << 10 },
]
const IMPLEMENTATIONS = ['wasm', 'js'] as const
const OPERATIONS = ['encode', 'encodeInto', 'decode'] as const
const SAMPLE_MS = 50

interface Config {
  segment: (typeof SEGMENTS)[number]
  implementation: (typeof IMPLEMENTATIONS)[number]
  operation: (typeof OPERATIONS)[number]
  run: () => void
  /** MB/s per sample */
  samples: number[]
}

function makeConfigs(): Config[] {
  const configs: Config[] = []
  for (const segment of SEGMENTS) {
    const length = Math.ceil(segment.bytes / K)
    const inputs = Array.from({ length: K }, (_, b) => {
      const block = new Uint8Array(length)
      for (let i = 0; i < length; i++) block[i] = (i * 131 + b * 71 + (i >>> 9)) & 0xff
      return block
    })
    for (const implementation of IMPLEMENTATIONS) {
      const coder: ZfecCoder = createZfec(K, N, { implementation })
      const parity = Array.from({ length: N - K }, () => new Uint8Array(length))
      const blocks = coder.encode(inputs)
      const nums = [7, 8, 9] // only parity: every input block is rebuilt (the slowest decode)
      const received = nums.map((i) => blocks[i]!)
      const runs = {
        encode: () => void coder.encode(inputs),
        encodeInto: () => coder.encodeInto(inputs, parity),
        decode: () => void coder.decode(received, nums),
      }
      for (const operation of OPERATIONS) {
        configs.push({ segment, implementation, operation, run: runs[operation], samples: [] })
      }
    }
  }
  return configs
}

function sample(config: Config): number {
  const bytes = K * Math.ceil(config.segment.bytes / K)
  let reps = 0
  const start = performance.now()
  let elapsed = 0
  do {
    config.run()
    reps++
    elapsed = performance.now() - start
  } while (elapsed < SAMPLE_MS)
  return (bytes * reps) / 1e6 / (elapsed / 1000)
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1))

function render(configs: Config[], info: Record<string, string>): string {
  const rows = configs.map((c) => {
    const med = median(c.samples)
    const isTarget = c.operation === 'encode' && c.segment.bytes === 1 << 20
    return [
      c.segment.name,
      c.implementation,
      c.operation,
      `**${fmt(med)}**`,
      `${fmt(percentile(c.samples, 10))}–${fmt(percentile(c.samples, 90))}`,
      `${(med / TARGET_MB_S).toFixed(2)}×${isTarget ? ' (target case)' : ''}`,
    ]
  })
  const ratio = (op: string, seg: string) => {
    const get = (impl: string) =>
      median(
        configs.find((c) => c.operation === op && c.segment.name === seg && c.implementation === impl)!
          .samples,
      )
    return (get('wasm') / get('js')).toFixed(1)
  }
  return [
    '# Erasure-coder benchmark results',
    '',
    `Run ${info.start} → ${info.end}, commit ${info.commit}. Command: \`npx tsx bench/codec/run.ts ${info.args}\`.`,
    '',
    `Machine: ${info.machine}; Node ${process.version}. Load average (1 min) before / after: ${info.loadBefore} / ${info.loadAfter} — the machine is shared, so figures move with other processes' load.`,
    '',
    `zfec ${K}-of-${N}; MB/s = 10^6 bytes of segment per second on one thread (encode: the ${K} input blocks; decode: the ${K} blocks rebuilt from blocks 7, 8, 9, i.e. the slowest case). ${info.samples} samples of ≥ ${SAMPLE_MS} ms per row, taken in turn; median and 10th–90th percentile. Target: ≥ ${TARGET_MB_S} MB/s encode of 1 MiB segments. \`encode\` allocates the 7 parity blocks; \`encodeInto\` writes into caller buffers.`,
    '',
    ...table(['segment', 'kernel', 'operation', 'MB/s (median)', 'p10–p90', '÷ 500 MB/s'], rows),
    '',
    `wasm ÷ js (medians): encode ${ratio('encode', '1 MiB')}× and decode ${ratio('decode', '1 MiB')}× on 1 MiB; encode ${ratio('encode', '128 KiB')}× and decode ${ratio('decode', '128 KiB')}× on 128 KiB.`,
    '',
  ].join('\n')
}

/** A markdown table with padded columns, as the formatter (biome) writes it. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: '15' },
      out: { type: 'string', default: 'bench/codec/RESULTS.md' },
    },
  })
  const samples = Number(values.samples)
  const configs = makeConfigs()
  const info: Record<string, string> = {
    start: new Date().toISOString(),
    args: process.argv.slice(2).join(' '),
    samples: String(samples),
    loadBefore: loadavg()[0]!.toFixed(2),
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'})`,
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  }
  for (const c of configs) for (let i = 0; i < 3; i++) c.run() // warm up, and grow the wasm memory
  for (let s = 0; s < samples; s++) {
    for (const c of configs) c.samples.push(sample(c))
    process.stderr.write(`sample ${s + 1}/${samples}\r`)
  }
  info.end = new Date().toISOString()
  info.loadAfter = loadavg()[0]!.toFixed(2)
  const markdown = render(configs, info)
  process.stdout.write(`\n${markdown}`)
  await writeFile(values.out, markdown)
}

await main()
