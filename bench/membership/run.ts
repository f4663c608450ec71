// Membership benchmark (issue 2, section 8): join, service propagation and failure detection on
// clouds of real daemon processes with the product's default timings, false verdicts in a healthy
// cloud, and the idle cost of a node; calm and with a CPU hog beside the cloud.
//
//   npm run build && node --import tsx bench/membership/run.ts [--quick] [--nodes 5,20,50] ...
//
// See bench/membership/README.md for the options and RESULTS.md for the latest figures.
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { type Timing, TimingSchema } from '../../src/node/config.ts'
import { REPO } from '../../test/helpers/test-cloud.ts'
import { BenchCloud } from './bench-cloud.ts'
import {
  availableMemoryMb,
  busyPct,
  cpuTotals,
  loadAverage,
  machineInfo,
  startCpuHogs,
} from './proc-stats.ts'
import {
  type BenchParams,
  type BenchResults,
  type ConditionResult,
  renderMarkdown,
  type SizeResult,
} from './report.ts'
import { measureFailure, measureFreeze, measureJoin, measureQuiet, measureService } from './scenarios.ts'

const STEPS = ['quiet', 'join', 'service', 'kill', 'freeze'] as const

/** Memory one idle node needs, with margin, before a size is attempted. */
const MB_PER_NODE = 250

const USAGE = `usage: node --import tsx bench/membership/run.ts [options]
  --quick               N = 5,20; 3 repetitions; 1-minute healthy-cloud windows
  --nodes 5,20,50       cloud sizes (default 5,20,50)
  --reps N              repetitions of each join, service, kill and freeze (default 6; quick 3)
  --quiet-minutes M     healthy-cloud window per condition (default 10; quick 1)
  --idle-seconds S      idle RSS/CPU sampling at the start of that window (default 30)
  --conditions LIST     calm,hog (default both)
  --steps LIST          quiet,join,service,kill,freeze (default all)
  --hogs N              busy-loop processes of the hog (default: one per core)
  --timeout-ms MS       bound on each wait (default 60000)
  --timing JSON         override membership timing, e.g. '{"suspicionMaxMs":3000}' (default: the
                        product defaults; figures with overrides are not the product's)
  --out FILE            markdown results (default bench/membership/RESULTS.md)
  --json FILE           raw samples as JSON as well
  --render FILE         only write the markdown (--out) again from such a JSON file`

function parseOptions(argv: string[]): {
  params: BenchParams
  timing: Partial<Timing>
  out: string
  json?: string
  render?: string
} {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      nodes: { type: 'string' },
      reps: { type: 'string' },
      'quiet-minutes': { type: 'string' },
      'idle-seconds': { type: 'string' },
      conditions: { type: 'string' },
      steps: { type: 'string' },
      hogs: { type: 'string' },
      'timeout-ms': { type: 'string' },
      timing: { type: 'string' },
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
  const quick = values.quick === true
  const num = (v: string | undefined, fallback: number, what: string) => {
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${what} wants a positive number, not "${v}"`)
    return n
  }
  const nodes = (values.nodes ?? (quick ? '5,20' : '5,20,50')).split(',').map((s) => num(s, 0, 'nodes'))
  if (nodes.some((n) => !Number.isInteger(n) || n < 3)) throw new Error('--nodes wants sizes of at least 3')
  const conditions = (values.conditions ?? 'calm,hog').split(',')
  if (conditions.some((c) => c !== 'calm' && c !== 'hog'))
    throw new Error('--conditions is calm, hog or both')
  const steps = (values.steps ?? STEPS.join(',')).split(',')
  if (steps.some((step) => !(STEPS as readonly string[]).includes(step)))
    throw new Error(`--steps is a list of ${STEPS.join(', ')}`)
  const idleSeconds = num(values['idle-seconds'], 30, 'idle-seconds')
  const timing = parseTiming(values.timing ?? '{}')
  return {
    timing,
    params: {
      nodes,
      reps: Math.round(num(values.reps, quick ? 3 : 6, 'reps')),
      quietSeconds: Math.round(num(values['quiet-minutes'], quick ? 1 : 10, 'quiet-minutes') * 60),
      idleSeconds,
      hogs: Math.round(num(values.hogs, machineInfo().cores, 'hogs')),
      conditions,
      steps,
      timeoutMs: num(values['timeout-ms'], 60_000, 'timeout-ms'),
    },
    out: resolve(values.out ?? resolve(import.meta.dirname, 'RESULTS.md')),
    ...(values.json ? { json: resolve(values.json) } : {}),
    ...(values.render ? { render: resolve(values.render) } : {}),
  }
}

/** A partial timing: only the given keys (zod's partial() would still fill in every default). */
function parseTiming(text: string): Partial<Timing> {
  const raw = JSON.parse(text) as Record<string, unknown>
  const unknown = Object.keys(raw).filter((key) => !(key in TimingSchema.shape))
  if (unknown.length > 0) throw new Error(`--timing: unknown parameters ${unknown.join(', ')}`)
  TimingSchema.parse(raw)
  return raw as Partial<Timing>
}

function progress(text: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`)
}

function gitCommit(): string {
  if (process.env.CLOUDY_BENCH_COMMIT) return process.env.CLOUDY_BENCH_COMMIT
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO, encoding: 'utf8' })
    return dirty.trim() ? `${head} (src modified)` : head
  } catch {
    return 'unknown'
  }
}

// --- what must be torn down on any exit ------------------------------------------------------

let activeCloud: BenchCloud | undefined
let activeHogs: { stop(): Promise<void> } | undefined
let serviceServer: Server | undefined
let tearingDown: Promise<void> | undefined

function teardown(): Promise<void> {
  tearingDown ??= (async () => {
    await activeHogs?.stop().catch(() => {})
    await activeCloud?.cleanup().catch(() => {})
    serviceServer?.close()
  })()
  return tearingDown
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping every node and removing the temp dirs`)
    void teardown().finally(() => process.exit(130))
  })
}

async function runCondition(
  bench: BenchCloud,
  hog: boolean,
  params: BenchParams,
  port: number,
  save: () => Promise<void>,
  result: ConditionResult,
): Promise<void> {
  const n = bench.core.length
  const label = `N=${n} ${hog ? 'hog' : 'calm'}`
  const step = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn()
    } catch (err) {
      const text = `${what}: ${(err as Error).message.split('\n')[0]}`
      progress(`${label}: ${text}`)
      result.errors.push(text)
    }
    await save()
  }
  await step('convergence before the healthy-cloud window', () => bench.converge(120_000))
  const reps = (what: (typeof STEPS)[number]) => (params.steps.includes(what) ? params.reps : 0)
  if (params.steps.includes('quiet')) {
    await step('healthy-cloud window', async () => {
      progress(`${label}: healthy cloud left alone for ${params.quietSeconds} s`)
      result.quiet = await measureQuiet(bench, params.quietSeconds, params.idleSeconds, (t) =>
        progress(`${label}: ${t}`),
      )
    })
  }
  const churnStart = await cpuTotals()
  result.churnLoadAvg = loadAverage()
  for (let i = 0; i < reps('join'); i++) {
    await step(`join ${i + 1}`, async () => {
      const s = await measureJoin(bench, params.timeoutMs)
      result.joins.push(s)
      progress(
        `${label}: join ${i + 1}/${params.reps}: all members after ${s.allFromOverlayMs} ms from overlay start`,
      )
    })
  }
  for (let i = 0; i < reps('service'); i++) {
    await step(`service ${i + 1}`, async () => {
      const s = await measureService(bench, `${n}-${hog ? 'h' : 'c'}-${i + 1}`, port, params.timeoutMs)
      result.services.push(s)
      progress(`${label}: service ${i + 1}/${params.reps}: visible at all members after ${s.allMs} ms`)
    })
  }
  for (let i = 0; i < reps('kill'); i++) {
    await step(`kill ${i + 1}`, async () => {
      const s = await measureFailure(bench, params.timeoutMs)
      result.failures.push(s)
      progress(
        `${label}: kill ${i + 1}/${params.reps} (${s.victim}): dead at all members after ${s.deadAllMs} ms`,
      )
      await bench.converge(params.timeoutMs)
    })
  }
  for (let i = 0; i < reps('freeze'); i++) {
    await step(`freeze ${i + 1}`, async () => {
      const s = await measureFreeze(bench, params.timeoutMs)
      result.freezes.push(s)
      progress(
        `${label}: freeze ${i + 1}/${params.reps} (${s.victim}): dead at all members after ${s.deadAllMs} ms, ` +
          `alive again ${s.thawAllMs} ms after SIGCONT`,
      )
      await bench.converge(params.timeoutMs)
    })
  }
  result.churnMachineBusyPct = busyPct(churnStart, await cpuTotals())
  await save()
}

async function main(): Promise<void> {
  const { params, timing, out, json, render } = parseOptions(process.argv.slice(2))
  if (render) {
    await writeFile(out, renderMarkdown(JSON.parse(await readFile(render, 'utf8')) as BenchResults))
    progress(`${out} written from ${render}`)
    return
  }
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    command: `node --import tsx bench/membership/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    commit: gitCommit(),
    machine: machineInfo(),
    params,
    timing: TimingSchema.parse(timing),
    timingOverride: timing,
    sizes: [],
  }
  const save = async () => {
    await writeFile(out, renderMarkdown(results))
    if (json) await writeFile(json, `${JSON.stringify(results, null, 1)}\n`)
  }

  const server = createServer((socket) => socket.end())
  serviceServer = server
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port

  try {
    for (const n of params.nodes) {
      const size: SizeResult = { n, conditions: [], notes: [] }
      results.sizes.push(size)
      const available = await availableMemoryMb()
      if (available < n * MB_PER_NODE) {
        size.skipped = `only ${Math.round(available)} MB available, ${n * MB_PER_NODE} MB wanted for ${n} nodes`
        progress(`N=${n}: skipped: ${size.skipped}`)
        await save()
        continue
      }
      progress(`N=${n}: starting the cloud (load average ${loadAverage()})`)
      const built = Date.now()
      try {
        activeCloud = await BenchCloud.create(n, timing, (t) => progress(`N=${n}: ${t}`))
      } catch (err) {
        size.skipped = `the cloud did not start: ${(err as Error).message.split('\n')[0]}`
        progress(`N=${n}: ${size.skipped}`)
        await save()
        continue
      }
      const bench = activeCloud
      size.buildSeconds = Math.round((Date.now() - built) / 1000)
      progress(`N=${n}: cloud converged after ${size.buildSeconds} s`)
      try {
        for (const condition of params.conditions) {
          const hog = condition === 'hog'
          const result: ConditionResult = {
            hog,
            joins: [],
            services: [],
            failures: [],
            freezes: [],
            errors: [],
          }
          size.conditions.push(result)
          if (hog) activeHogs = startCpuHogs(params.hogs)
          try {
            await runCondition(bench, hog, params, port, save, result)
          } finally {
            await activeHogs?.stop()
            activeHogs = undefined
          }
        }
      } finally {
        size.notes.push(...bench.hub.notes)
        activeCloud = undefined
        await bench.cleanup()
        await save()
      }
    }
    results.finishedAt = new Date().toISOString()
    await save()
    process.stdout.write(renderMarkdown(results))
    progress(`results written to ${out}`)
  } finally {
    await teardown()
  }
}

main().catch(async (err) => {
  progress(`failed: ${(err as Error).stack ?? err}`)
  await teardown()
  process.exit(1)
})
