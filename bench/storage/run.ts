// Storage benchmark (issue 4, section 5): the full path of a file, API → node-1's gateway → Tahoe's
// HTTPS storage protocol → 10 storage server processes → fsynced disk, on 127.0.0.1, with the
// product's encoding defaults. Put and get of 1 KiB … 1 GiB: median MB/s and latency, CPU per MiB
// of the gateway and of the servers, the gateway's peak RSS; optionally a CPU profile of one
// transfer. Every download is checked against the upload's SHA-256.
//
//   npm run build && node --import tsx bench/storage/run.ts [--sizes ...] [--reps N] [--out FILE]
//   sh bench/storage/snapshot-run.sh [options]       # the same on a private build of HEAD
//
// See bench/storage/README.md for the options and RESULTS.md for the latest figures.
import { execFileSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { mkdir, open, readFile, rm, statfs, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { REPO } from '../../test/helpers/test-cloud.ts'
import { median } from '../stats.ts'
import { summarizeGc, summarizeProfiles } from './cpu-profile-summary.ts'
import { measureSize, profileTransfers, type SizeResult } from './measure.ts'
import { cpuOf, loadAverages, machineInfo } from './proc.ts'
import {
  type BenchResults,
  type Config,
  formatMarkdownFile,
  renderMarkdown,
  sizeLabel,
  targetsTable,
} from './report.ts'
import { StorageCloud } from './storage-cloud.ts'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const DEFAULT_SIZES = '1KiB,1MiB,10MiB,100MiB,1GiB'
/** free space kept on the disk beyond the estimate */
const DISK_MARGIN = 2 * GiB

const USAGE = `usage: node --import tsx bench/storage/run.ts [options]
  --sizes LIST        sizes to put and get (default ${DEFAULT_SIZES}; 1GiB is left out when
                      the temp dir's disk lacks room, unless given here); units B, KiB, MiB, GiB
  --reps N            repetitions of each put and get up to 10 MiB (default 15); 100 MiB gets
                      N/3 (at least 3), 1 GiB N/5 (at least 2)
  --servers N         storage server processes (default 10)
  --profile           also profile puts and gets with V8's CPU profiler in every daemon: one
                      each of 100 MiB, and 10 each of 1 MiB (per-request costs)
  --profile-sizes L   what --profile profiles, SIZE[xCOUNT],... (default 100MiBx1,1MiBx10)
  --out FILE          markdown results (default bench/storage/RESULTS.md)
  --json FILE         raw samples as JSON as well
  --render FILE       only write the markdown (--out) again from such a JSON file`

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|K|M|G)?$/i.exec(text.trim())
  if (!m) throw new Error(`"${text}" is not a size such as 1KiB, 10MiB or 1GiB`)
  const unit = (m[2] ?? 'B').toUpperCase()[0] as string
  const factor = { B: 1, K: 1024, M: MiB, G: GiB }[unit] ?? 1
  return Math.round(Number(m[1]) * factor)
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      reps: { type: 'string', default: '15' },
      servers: { type: 'string', default: '10' },
      profile: { type: 'boolean', default: false },
      'profile-sizes': { type: 'string', default: '100MiBx1,1MiBx10' },
      out: { type: 'string' },
      json: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const reps = Number(values.reps)
  const servers = Number(values.servers)
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps wants a positive integer')
  if (!Number.isInteger(servers) || servers < 1) throw new Error('--servers wants a positive integer')
  return {
    sizes: (values.sizes ?? DEFAULT_SIZES).split(',').map(parseSize),
    sizesGiven: values.sizes !== undefined,
    reps,
    servers,
    profiles: values.profile
      ? values['profile-sizes'].split(',').map((item) => {
          const [size = '', count = '1'] = item.split('x')
          return { size: parseSize(size), count: Math.max(1, Number(count) || 1) }
        })
      : [],
    out: resolve(values.out ?? resolve(import.meta.dirname, 'RESULTS.md')),
    ...(values.json ? { json: resolve(values.json) } : {}),
    ...(values.render ? { render: resolve(values.render) } : {}),
  }
}

function repsFor(size: number, base: number): number {
  if (size <= 10 * MiB) return base
  if (size <= 100 * MiB) return Math.max(3, Math.round(base / 3))
  return Math.max(2, Math.round(base / 5))
}

/** Disk the run needs at most: inputs, shares (N/k expansion plus hash trees), the gateway's spool. */
function diskNeeded(
  sizes: number[],
  base: number,
  expansion: number,
  profiles: { size: number; count: number }[],
): number {
  let sum = profiles.reduce((s, p) => s + (p.count + 1) * p.size * (1 + expansion) + p.size, 0)
  for (const size of sizes) sum += repsFor(size, base) * size * (1 + expansion) + size
  return sum
}

function gitCommit(): string {
  if (process.env.CLOUDY_BENCH_COMMIT) return process.env.CLOUDY_BENCH_COMMIT
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO, encoding: 'utf8' })
    return dirty.trim() ? `${head} + uncommitted changes in src/` : head
  } catch {
    return 'unknown'
  }
}

/** Median ms of a 4 KiB write followed by fdatasync: the floor of every acknowledged small write. */
async function syncLatency(dir: string): Promise<number> {
  const path = join(dir, 'sync-baseline')
  const chunk = randomFillSync(Buffer.alloc(4096))
  const file = await open(path, 'w')
  const samples: number[] = []
  try {
    for (let i = 0; i < 50; i++) {
      const started = performance.now()
      await file.write(chunk, 0, chunk.length, i * chunk.length)
      await file.datasync()
      samples.push(performance.now() - started)
    }
  } finally {
    await file.close()
    await rm(path, { force: true })
  }
  return median(samples)
}

/** MB/s of 1 MiB writes each followed by fdatasync: what one server's disk does at most. */
async function diskBaseline(dir: string): Promise<number> {
  const path = join(dir, 'disk-baseline')
  const chunk = randomFillSync(Buffer.alloc(MiB))
  const file = await open(path, 'w')
  const started = performance.now()
  const count = 64
  try {
    for (let i = 0; i < count; i++) {
      await file.write(chunk, 0, chunk.length, i * MiB)
      await file.datasync()
    }
  } finally {
    await file.close()
    await rm(path, { force: true })
  }
  return (count * MiB) / 1e6 / ((performance.now() - started) / 1000)
}

const REST_SECONDS = 10

/** CPU the cloud uses doing nothing (membership, catalogue), in cores, over `seconds`. */
async function restCost(cloud: StorageCloud, seconds: number): Promise<Config['rest']> {
  const pids = cloud.storagePids()
  const [gw0, st0] = await Promise.all([cpuOf([cloud.gateway.pid]), cpuOf(pids)])
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const [gw1, st1] = await Promise.all([cpuOf([cloud.gateway.pid]), cpuOf(pids)])
  return { seconds, gatewayCores: (gw1 - gw0) / seconds, storageCores: (st1 - st0) / seconds }
}

function fsOf(dir: string): string {
  try {
    const line = execFileSync('df', ['-T', dir], { encoding: 'utf8' }).trim().split('\n')[1] ?? ''
    const [device, type] = line.split(/\s+/)
    return `${dir} (${type} on ${device})`
  } catch {
    return dir
  }
}

const opts = parseOptions(process.argv.slice(2))
if (opts.render) {
  const saved = JSON.parse(await readFile(opts.render, 'utf8')) as BenchResults
  await writeFile(opts.out, renderMarkdown({ ...saved, profiles: saved.profiles ?? [] }))
  formatMarkdownFile(opts.out)
  console.log(`${opts.out} written from ${opts.render}`)
  process.exit(0)
}
const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`)
const notes: string[] = []

const free = await statfs(tmpdir()).then((s) => s.bavail * s.bsize)
const expansion = 10 / 3 + 0.01
let sizes = opts.sizes
if (diskNeeded(sizes, opts.reps, expansion, opts.profiles) + DISK_MARGIN > free) {
  if (opts.sizesGiven) {
    throw new Error(
      `the run needs about ${Math.ceil(diskNeeded(sizes, opts.reps, expansion, opts.profiles) / GiB)} GiB in ${tmpdir()}, which has ${Math.floor(free / GiB)} GiB free`,
    )
  }
  sizes = sizes.filter((s) => s < GiB)
  notes.push(`1 GiB left out: ${tmpdir()} has ${Math.floor(free / GiB)} GiB free`)
  log(notes.at(-1) as string)
}

let cloud: StorageCloud | undefined
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return
    stopping = true
    log(`${signal}: stopping the cloud and removing its files`)
    void (cloud?.cleanup() ?? Promise.resolve()).finally(() => process.exit(130))
  })
}

const startedAt = new Date().toISOString()
const loadStart = loadAverages()
log(
  `load average ${loadStart.join(' / ')}; ${Math.floor(free / GiB)} GiB free in ${tmpdir()}; sizes ${sizes.map(sizeLabel).join(', ')}`,
)
const results: SizeResult[] = []
let config: Config | undefined
const profiles: BenchResults['profiles'] = []
try {
  cloud = await StorageCloud.create({ servers: opts.servers, progress: log })
  const gwConfig = JSON.parse(await readFile(join(cloud.gateway.dataDir, 'config.json'), 'utf8')) as {
    storage?: { needed?: number; happy?: number; total?: number; maxSegmentSize?: number }
  }
  const firstServer = cloud.servers[0]
  const services = firstServer
    ? await firstServer.api<{ name: string; options: Record<string, unknown> }[]>('GET', '/builtin-services')
    : []
  config = {
    needed: gwConfig.storage?.needed ?? 3,
    happy: gwConfig.storage?.happy ?? 7,
    total: gwConfig.storage?.total ?? 10,
    maxSegmentSize: gwConfig.storage?.maxSegmentSize ?? MiB,
    servers: opts.servers,
    serverOptions: services.find((s) => s.name === 'storage')?.options ?? {},
    dataDirFs: fsOf(cloud.root),
    diskMbps: await diskBaseline(cloud.root),
    syncMs: await syncLatency(cloud.root),
    rest: await restCost(cloud, REST_SECONDS),
  }
  log(
    `cloud ready: gateway node-1 + ${opts.servers} storage servers; k=${config.needed} happy=${config.happy} N=${config.total} segment ${sizeLabel(config.maxSegmentSize)}; server options ${JSON.stringify(config.serverOptions)}; disk ${config.diskMbps.toFixed(0)} MB/s with fdatasync per MiB`,
  )
  const inputs = join(cloud.root, 'inputs')
  await mkdir(inputs)
  for (const size of sizes) {
    const reps = repsFor(size, opts.reps)
    log(`${sizeLabel(size)}: ${reps} puts, then ${reps} gets (load ${loadAverages().join(' / ')})`)
    results.push(await measureSize(cloud, size, sizeLabel(size), reps, inputs, log))
  }
  for (const { size, count } of opts.profiles) {
    log(
      `profiling ${count} put${count === 1 ? '' : 's'} and get${count === 1 ? '' : 's'} of ${sizeLabel(size)}`,
    )
    const run = await profileTransfers(cloud, size, count, inputs, log)
    profiles.push({
      size: run.size,
      count: run.count,
      putMs: run.putMs,
      getMs: run.getMs,
      gatewayPut: await summarizeProfiles([run.gateway.put], { window: run.putWindow }),
      gatewayGet: await summarizeProfiles([run.gateway.get], { window: run.getWindow }),
      storagePut: await summarizeProfiles(run.storage.put, { window: run.putWindow }),
      storageGet: await summarizeProfiles(run.storage.get, { window: run.getWindow }),
      ...(await summarizeGc(run.gateway.put, run.putWindow).then((gc) => gc && { gatewayGcPut: gc })),
      ...(await summarizeGc(run.gateway.get, run.getWindow).then((gc) => gc && { gatewayGcGet: gc })),
    })
  }
} finally {
  await cloud?.cleanup()
}

const out: BenchResults = {
  startedAt,
  finishedAt: new Date().toISOString(),
  command: `node --import tsx bench/storage/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
  commit: gitCommit(),
  machine: machineInfo(),
  load: { start: loadStart, end: loadAverages() },
  config: config as Config,
  sizes: results,
  notes,
  profiles,
}
const markdown = renderMarkdown(out)
await writeFile(opts.out, markdown)
formatMarkdownFile(opts.out)
if (opts.json) await writeFile(opts.json, `${JSON.stringify(out, null, 2)}\n`)
console.log(`\n${targetsTable(out)}\n`)
log(`results in ${opts.out}`)
