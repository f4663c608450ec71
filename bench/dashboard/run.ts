// Dashboard benchmark (issue 3): how long a change in the cloud takes to show on another node's
// dashboard in a real browser, and how fast the dashboard's pages load.
//
//   npm run bench:dashboard            (builds, then runs this file with tsx)
//   tsx bench/dashboard/run.ts --quick (after a build; a smoke run)
//
// See bench/dashboard/README.md for what is measured and RESULTS.md for the latest figures.
import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { INITIAL_LOAD_BUDGET_BYTES, measureInitialLoad } from '../../scripts/dashboard-assets.ts'
import { TimingSchema } from '../../src/node/config.ts'
import { DASHBOARD_DIST } from '../../test/e2e/browser.ts'
import { REPO } from '../../test/helpers/test-cloud.ts'
import { Dashboard } from './browser.ts'
import { BenchCloud, EventStream } from './cloud.ts'
import { busyPct, cpuTotals, foreignProcesses, loadAverage, machineInfo } from './machine.ts'
import type { LoadTarget } from './page-probe.ts'
import {
  type BenchParams,
  killTable,
  loadTable,
  publishTable,
  type Results,
  renderMarkdown,
  summaryLines,
} from './report.ts'
import { measureKill, measureLoad, measurePublish } from './scenarios.ts'
import { formatMs } from './stats.ts'

const PASSWORD = 'test-admin-password'

/** The pages whose first render is measured, with what shows that their data arrived. */
const TARGETS: LoadTarget[] = [
  { path: '/', title: 'Overview', ready: { all: ['#health-title'] } },
  { path: '/nodes', title: 'Nodes', ready: { all: ['tbody tr[data-row]:nth-child(3)'] } },
  { path: '/services', title: 'Services', ready: { all: ['tbody tr[data-row]'] } },
  { path: '/events', title: 'Events', ready: { all: ['.event-row'] } },
  { path: '/settings', title: 'Settings', ready: { all: ['#invites-title'] } },
]

const USAGE = `usage: tsx bench/dashboard/run.ts [options]   (after npm run build)
  --quick            3 publishes, 1 kill, 2 loads per page: a smoke run
  --publish-reps N   publish → visible repetitions (default 30)
  --kill-reps N      kill → dead repetitions (default 5)
  --load-reps N      cold and warm loads per page (default 10)
  --timeout-ms MS    bound on each wait (default 60000)
  --out FILE         markdown results (default bench/dashboard/RESULTS.md)
  --json FILE        raw samples as JSON as well`

function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      'publish-reps': { type: 'string' },
      'kill-reps': { type: 'string' },
      'load-reps': { type: 'string' },
      'timeout-ms': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const num = (v: string | undefined, fallback: number, what: string) => {
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${what} wants a positive integer, not "${v}"`)
    return n
  }
  const quick = values.quick === true
  const params: BenchParams = {
    nodes: 3,
    publishReps: num(values['publish-reps'], quick ? 3 : 30, 'publish-reps'),
    killReps: num(values['kill-reps'], quick ? 1 : 5, 'kill-reps'),
    loadReps: num(values['load-reps'], quick ? 2 : 10, 'load-reps'),
    timeoutMs: num(values['timeout-ms'], 60_000, 'timeout-ms'),
  }
  return {
    params,
    out: resolve(values.out ?? join(import.meta.dirname, 'RESULTS.md')),
    ...(values.json ? { json: resolve(values.json) } : {}),
  }
}

function progress(text: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`)
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'web'], {
      cwd: REPO,
      encoding: 'utf8',
    })
    return dirty.trim() ? `${head} (src or web modified)` : head
  } catch {
    return 'unknown'
  }
}

// --- everything this run starts, torn down on every exit ------------------------------------

let runRoot: string | undefined
let cloud: BenchCloud | undefined
let stream: EventStream | undefined
let dash: Dashboard | undefined
const servers: Server[] = []
let tearingDown: Promise<void> | undefined

function teardown(): Promise<void> {
  tearingDown ??= (async () => {
    stream?.close()
    await dash?.close().catch((err: Error) => progress(`closing chromium: ${err.message}`))
    await cloud?.cleanup().catch((err: Error) => progress(`stopping the nodes: ${err.message}`))
    for (const s of servers) s.close()
    if (runRoot) await rm(runRoot, { recursive: true, force: true }).catch(() => {})
  })()
  return tearingDown
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    progress(`${signal}: closing chromium, stopping the nodes, removing ${runRoot ?? 'the temp dir'}`)
    setTimeout(() => process.exit(130), 20_000).unref()
    void teardown().finally(() => process.exit(130))
  })
}

// last resort when the process exits without the teardown (the nodes also watch their stdin)
process.on('exit', () => {
  for (const node of cloud?.nodes ?? []) {
    if (node.proc && node.proc.exitCode === null && node.proc.signalCode === null) node.proc.kill('SIGKILL')
  }
  if (runRoot) rmSync(runRoot, { recursive: true, force: true })
})

async function listen(): Promise<Server> {
  const server = createServer((socket) => socket.end())
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}

const portOf = (server: Server) => (server.address() as { port: number }).port
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs one section, recording how busy the machine was meanwhile. */
async function section(results: Results, name: string, fn: () => Promise<void>): Promise<void> {
  const cpu = await cpuTotals()
  const loadAvgStart = loadAverage()
  try {
    await fn()
  } catch (err) {
    results.errors.push(`${name} section: ${(err as Error).message.split('\n')[0]}`)
    progress(`${name} section failed: ${(err as Error).stack ?? err}`)
  }
  results.sections[name] = {
    busyPct: busyPct(cpu, await cpuTotals()),
    loadAvgStart,
    loadAvgEnd: loadAverage(),
    foreign: await foreignProcesses(),
  }
}

async function main(): Promise<void> {
  const { params, out, json } = options()
  if (!existsSync(join(DASHBOARD_DIST, 'index.html')) || !existsSync(join(REPO, 'dist'))) {
    throw new Error('the daemon or the dashboard is not built: run `npm run build` first')
  }
  const timing = TimingSchema.parse({})
  const initial = await measureInitialLoad(DASHBOARD_DIST)
  const results: Results = {
    startedAt: new Date().toISOString(),
    command: `tsx bench/dashboard/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    commit: gitCommit(),
    machine: { ...machineInfo(), chromium: 'unknown' },
    params,
    timing,
    budget: {
      gzipBytes: initial.gzipBytes,
      bytes: initial.bytes,
      budgetBytes: INITIAL_LOAD_BUDGET_BYTES,
      files: initial.files.map((f) => f.path),
    },
    before: { loadAvg: loadAverage(), foreign: await foreignProcesses() },
    targets: TARGETS,
    publish: [],
    kills: [],
    loads: [],
    sections: {},
    errors: [],
    notes: [],
  }
  const save = async () => {
    await writeFile(out, renderMarkdown(results))
    if (json) await writeFile(json, `${JSON.stringify(results, null, 1)}\n`)
  }

  runRoot = await mkdtemp(join(tmpdir(), 'cloudy-bench-dashboard-'))
  const ports = await Promise.all(Array.from({ length: params.publishReps }, listen)).then((s) =>
    s.map(portOf),
  )
  const steadyPort = portOf(await listen())

  progress(`starting ${params.nodes} nodes with the default timing in ${runRoot}`)
  cloud = new BenchCloud(join(runRoot, 'cloud'))
  const startedAt = Date.now()
  await cloud.start(params.nodes, timing)
  await cloud.converge(120_000)
  progress(`cloud converged after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
  const node3 = cloud.node(3)
  stream = new EventStream()
  await stream.open(node3)

  dash = await Dashboard.launch(join(runRoot, 'chromium-profile'), TARGETS)
  results.machine.chromium = dash.version
  await dash.logIn(node3.apiUrl, PASSWORD)
  progress(`${dash.version} logged in to node-3's dashboard`)

  // one service stays published throughout (node 2), so the Services table is never empty
  await cloud
    .node(2)
    .api('POST', '/services', { type: 'web', port: steadyPort, description: 'Steady service' })

  await section(results, 'publish', async () => {
    await dash?.openFromNav('Services')
    await dash?.page.locator('tr[data-row^="node-2/web/"]').waitFor({ timeout: params.timeoutMs })
    for (let rep = 1; rep <= params.publishReps; rep++) {
      try {
        const s = await measurePublish(
          cloud as BenchCloud,
          dash as Dashboard,
          stream as EventStream,
          ports,
          rep,
          params.timeoutMs,
        )
        results.publish.push(s)
        progress(
          `publish ${rep}/${params.publishReps}: node 3 event ${formatMs(s.sseMs ?? Number.NaN)}, row ${formatMs(s.rowMs ?? Number.NaN)}`,
        )
      } catch (err) {
        results.errors.push(`publish ${rep}: ${(err as Error).message.split('\n')[0]}`)
        progress(`publish ${rep} failed: ${(err as Error).message}`)
      }
      // a pause of varying length, so repetitions do not lock to the nodes' periodic work
      await pause(200 + Math.random() * 400)
    }
  })
  await save()

  await section(results, 'kill', async () => {
    await dash?.openFromNav('Nodes')
    for (const name of ['node-1', 'node-2', 'node-3']) {
      await dash?.page
        .locator(`tr[data-row="${name}"] [data-status="alive"]`)
        .waitFor({ timeout: params.timeoutMs })
    }
    for (let rep = 1; rep <= params.killReps; rep++) {
      const victim = (cloud as BenchCloud).node(rep % 2 === 1 ? 2 : 1)
      try {
        const s = await measureKill(
          cloud as BenchCloud,
          dash as Dashboard,
          stream as EventStream,
          victim,
          rep,
          params.timeoutMs,
        )
        results.kills.push(s)
        progress(
          `kill ${rep}/${params.killReps} (${s.victim}): node 3 member:died ${formatMs(s.deadSseMs ?? Number.NaN)}, ` +
            `row Dead ${formatMs(s.deadRowMs ?? Number.NaN)}; alive again after ${formatMs(s.aliveRowMs ?? Number.NaN)}`,
        )
      } catch (err) {
        results.errors.push(`kill ${rep}: ${(err as Error).message.split('\n')[0]}`)
        progress(`kill ${rep} failed: ${(err as Error).message}`)
        if (victim.proc?.exitCode !== null || victim.proc?.signalCode !== null)
          await victim.start().catch(() => {})
        await (cloud as BenchCloud).converge(params.timeoutMs).catch(() => {})
      }
    }
  })
  await save()

  await section(results, 'load', async () => {
    await dash?.recordNetwork(true)
    for (let rep = 1; rep <= params.loadReps; rep++) {
      for (const target of TARGETS) {
        for (const cold of [true, false]) {
          try {
            results.loads.push(
              await measureLoad(dash as Dashboard, node3.apiUrl, target, rep, cold, params.timeoutMs),
            )
          } catch (err) {
            results.errors.push(
              `load ${target.path} ${cold ? 'cold' : 'warm'} ${rep}: ${(err as Error).message.split('\n')[0]}`,
            )
          }
        }
      }
      progress(`page loads ${rep}/${params.loadReps} done`)
    }
  })

  try {
    const res = await fetch(`${node3.apiUrl}/api/v1/events/recent`, {
      headers: { authorization: `Bearer ${node3.token}`, 'accept-encoding': 'br, gzip' },
    })
    const body = await res.arrayBuffer()
    const entries = (JSON.parse(new TextDecoder().decode(body)) as unknown[]).length
    const length = Number(res.headers.get('content-length') ?? body.byteLength)
    results.eventLog = { entries, bytes: length, encoding: res.headers.get('content-encoding') ?? 'identity' }
  } catch (err) {
    results.errors.push(`/events/recent: ${(err as Error).message}`)
  }
  results.notes.push(...(stream?.notes ?? []))
  results.finishedAt = new Date().toISOString()
  await save()
  console.log(
    [
      '',
      '1. publish on node 1 → row on node 3 (ms after the POST)',
      publishTable(results.publish),
      '',
      '2. SIGKILL → Dead on node 3',
      killTable(results.kills),
      '',
      '3. page loads (ms since navigation start; median)',
      loadTable(results.loads, TARGETS),
      '',
      ...summaryLines(results),
      ...results.errors.map((e) => `error: ${e}`),
      `results written to ${out}`,
    ].join('\n'),
  )
}

main()
  .then(
    () => teardown(),
    async (err) => {
      progress(`failed: ${(err as Error).stack ?? err}`)
      await teardown()
      process.exitCode = 1
    },
  )
  .finally(() => {
    // fetch keep-alive sockets and the like must not hold the process open
    setTimeout(() => process.exit(), 500).unref()
  })
