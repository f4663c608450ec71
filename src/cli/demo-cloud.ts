import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Config, loadConfig, saveConfig } from '../node/config.ts'
import { DataDir } from '../node/data-dir.ts'
import type { CloudInfo } from '../node/types.ts'
import { CloudyError } from '../util/errors.ts'
import type { ApiClient } from './api-client.ts'
import type { CliDeps } from './cli-context.ts'
import { type DaemonProcess, spawnDaemon } from './daemon-process.ts'
import { formatTable } from './format.ts'
import { freePorts } from './free-ports.ts'
import { describeCloud } from './render.ts'

const HOST = '127.0.0.1'
const DEMO_CLOUD_NAME = 'demo'

export interface DemoOptions {
  nodes: number
  dataRoot: string
  /** node i gets ports basePort + 3(i-1) (API), + 1 (overlay) and + 2 (join server); else free ones */
  basePort?: number
}

interface DemoNode {
  process: DaemonProcess
  adminPassword: string | undefined
}

type DemoPorts = Pick<Config, 'apiPort' | 'p2pPort' | 'joinPort'>

async function demoPorts(index: number, basePort: number | undefined): Promise<DemoPorts> {
  if (basePort !== undefined) {
    const first = basePort + 3 * index
    return { apiPort: first, p2pPort: first + 1, joinPort: first + 2 }
  }
  const [apiPort, p2pPort, joinPort] = (await freePorts(3, HOST)) as [number, number, number]
  return { apiPort, p2pPort, joinPort }
}

/**
 * The ports live in each node's configuration, so that a later run on the same root restarts the
 * nodes on the addresses their peers remember, and they rejoin without new invites. A fresh node
 * gets free ports; `basePort` sets them on every run.
 */
async function assignPorts(dataDir: DataDir, index: number, basePort: number | undefined, fresh: boolean) {
  if (basePort === undefined && !fresh) return
  const config = await loadConfig(dataDir)
  if (config === undefined) throw new CloudyError('INTERNAL', `${dataDir.config} is missing after init`)
  await saveConfig(dataDir, { ...config, ...(await demoPorts(index, basePort)) })
}

/** Node 1's cloud (created if it has none); every other node joins it with an invite from node 1. */
async function formCloud(apis: ApiClient[]): Promise<CloudInfo> {
  const [first, ...others] = apis as [ApiClient, ...ApiClient[]]
  const cloud = (await first.status()).cloud ?? (await first.createCloud(DEMO_CLOUD_NAME))
  for (const api of others) {
    if ((await api.status()).cloud?.id === cloud.id) continue
    const invite = await first.createInvite('1h')
    // a fresh node starts in a one-node cloud of its own: leave it for node 1's
    await api.joinCloud(invite.code, true)
  }
  return cloud
}

function printSummary(deps: CliDeps, cloud: CloudInfo, nodes: DemoNode[], apis: ApiClient[]): void {
  deps.io.out(`cloud ${describeCloud(cloud)}: ${nodes.length} nodes`)
  const rows = nodes.map((node, i) => {
    const apiUrl = (apis[i] as ApiClient).apiUrl
    return [
      node.process.name,
      new URL('/', apiUrl).href,
      new URL('/api/v1', apiUrl).href,
      node.adminPassword ?? '(set at an earlier run)',
    ]
  })
  for (const line of formatTable(['NODE', 'DASHBOARD', 'API', 'ADMIN PASSWORD'], rows)) deps.io.out(line)
  deps.io.err(`logs: ${nodes.map((n) => n.process.logPath).join(', ')}`)
  deps.io.err('Press Ctrl-C to stop all nodes.')
}

/** Initialises and spawns the nodes, adding each to `nodes` at once so that it is stopped whatever happens. */
async function spawnNodes(
  options: DemoOptions,
  deps: CliDeps,
  nodes: DemoNode[],
  signal: AbortSignal,
): Promise<void> {
  const root = resolve(options.dataRoot)
  await mkdir(root, { recursive: true, mode: 0o700 })
  const commands = await deps.nodeCommands()
  for (let i = 0; i < options.nodes && !signal.aborted; i++) {
    const name = `node-${i + 1}`
    const dataDir = new DataDir(join(root, name))
    const init = await commands.initNode(dataDir.root, { name })
    await assignPorts(dataDir, i, options.basePort, init.created)
    nodes.push({
      process: spawnDaemon(deps.selfCommand, { name, dataDir, host: HOST }),
      adminPassword: init.adminPassword,
    })
  }
  deps.io.err(`starting ${nodes.length} nodes in ${root} ...`)
}

/**
 * `cloudy demo`: N real node processes on loopback (data dirs <root>/node-1 ... node-N) forming one
 * cloud, until SIGINT or SIGTERM, which may also come while they start; then every node leaves
 * and stops.
 */
export async function runDemo(options: DemoOptions, deps: CliDeps): Promise<void> {
  const stop = new AbortController()
  const stopped = deps.untilSignal().then(() => stop.abort())
  const nodes: DemoNode[] = []
  const killAll = () => {
    for (const node of nodes) node.process.kill()
  }
  process.on('exit', killAll)
  try {
    await spawnNodes(options, deps, nodes, stop.signal)
    const apis = await Promise.all(nodes.map((node) => node.process.api(stop.signal)))
    printSummary(deps, await formCloud(apis), nodes, apis)
    await stopped
  } catch (err) {
    if (!stop.signal.aborted) throw err
  } finally {
    deps.io.err('stopping all nodes ...')
    await Promise.all(nodes.map((node) => node.process.stop()))
    process.off('exit', killAll)
  }
}
