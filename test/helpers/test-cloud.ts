import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Timing } from '../../src/node/config.ts'
import { createCloudOffline, initNode, joinCloudOffline } from '../../src/node/offline.ts'

export const REPO = resolve(import.meta.dirname, '../..')
export const CLI = join(REPO, 'bin/cloudy.js')

/** Timings for multi-process tests: quick failure detection, still tolerant of a busy 2-core machine. */
export const TEST_TIMING: Partial<Timing> = {
  probeIntervalMs: 300,
  probeTimeoutMs: 400,
  suspicionMinMs: 1000,
  suspicionMaxMs: 3000,
  syncIntervalMs: 1000,
  reconnectIntervalMs: 1000,
  healthCheckIntervalMs: 500,
  serviceTtlMs: 20_000,
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the real `cloudy` CLI (built in dist/) and collects its output. */
export function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code: code ?? -1, stdout, stderr })
    })
  })
}

export class TestNode {
  readonly name: string
  readonly dataDir: string
  proc: ChildProcess | undefined
  apiUrl = ''
  token = ''
  log = ''

  constructor(name: string, dataDir: string) {
    this.name = name
    this.dataDir = dataDir
  }

  /** Starts the daemon as a child process; resolves when its API answers. */
  async start(extraArgs: string[] = []): Promise<void> {
    const args = [
      CLI,
      'start',
      '--data-dir',
      this.dataDir,
      '--api-port',
      '0',
      '--p2p-port',
      '0',
      ...extraArgs,
    ]
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, CLOUDY_WATCHDOG: '1', CLOUDY_LOG_LEVEL: process.env.CLOUDY_LOG_LEVEL ?? 'info' },
    })
    this.proc = child
    this.log = ''
    child.stdout?.on('data', (d) => (this.log += d))
    child.stderr?.on('data', (d) => (this.log += d))
    const deadline = Date.now() + 30_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode}:\n${this.log}`)
      const daemon = await readFile(join(this.dataDir, 'daemon.json'), 'utf8').catch(() => undefined)
      if (daemon) {
        const parsed = JSON.parse(daemon) as { apiUrl: string; pid: number }
        if (parsed.pid === child.pid) {
          this.apiUrl = parsed.apiUrl
          this.token = (await readFile(join(this.dataDir, 'cli-token'), 'utf8')).trim()
          return
        }
      }
      if (Date.now() > deadline) throw new Error(`${this.name} did not start:\n${this.log}`)
      await sleep(50)
    }
  }

  /** Calls the node's HTTP API with its CLI token. */
  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.apiUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    const json = text ? JSON.parse(text) : undefined
    if (!res.ok)
      throw Object.assign(new Error(`${method} ${path}: ${res.status} ${text}`), {
        status: res.status,
        body: json,
      })
    return json as T
  }

  /** Runs a CLI command against this node's data dir. */
  cli(args: string[]): Promise<CliResult> {
    return runCli([...args, '--data-dir', this.dataDir])
  }

  /** SIGKILL: no graceful leave. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL')
  }

  /** SIGTERM: graceful leave. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM')
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.proc
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

export interface TestCloud {
  root: string
  nodes: TestNode[]
  /** Creates, configures, joins (by invite from node 1) and starts one more node. */
  addNode(options?: { join?: boolean; start?: boolean }): Promise<TestNode>
  cleanup(): Promise<void>
}

/** Prepares a node's data dir with the test timings; with `cloud`, the node also creates that cloud. */
export async function prepareNode(
  root: string,
  name: string,
  options: { timing?: Partial<Timing>; cloud?: string } = {},
): Promise<TestNode> {
  const dataDir = join(root, name)
  await initNode(dataDir, { name, adminPassword: 'test-admin-password' })
  const configPath = join(dataDir, 'config.json')
  const config = JSON.parse(await readFile(configPath, 'utf8'))
  config.timing = { ...config.timing, ...(options.timing ?? TEST_TIMING) }
  config.mdns = false
  config.joinPort = 0
  await writeFile(configPath, JSON.stringify(config, null, 2))
  if (options.cloud) await createCloudOffline(dataDir, options.cloud)
  return new TestNode(name, dataDir)
}

/**
 * A cloud of n real node processes on 127.0.0.1: node 1 starts first and creates the cloud; every
 * other node joins with an invite from node 1 (the offline join of `cloudy join`), then starts.
 */
export async function createTestCloud(
  n: number,
  options: { timing?: Partial<Timing> } = {},
): Promise<TestCloud> {
  const root = await mkdtemp(join(tmpdir(), 'cloudy-test-'))
  const nodes: TestNode[] = []
  const cloud: TestCloud = {
    root,
    nodes,
    async addNode({ join: doJoin = true, start = true } = {}) {
      const node = await prepareNode(root, `node-${nodes.length + 1}`, {
        ...(options.timing ? { timing: options.timing } : {}),
        ...(nodes.length === 0 ? { cloud: 'test cloud' } : {}),
      })
      nodes.push(node)
      if (nodes.length > 1 && doJoin) {
        const first = nodes[0] as TestNode
        const invite = await first.api<{ code: string }>('POST', '/invites', { expires: '1h' })
        await joinCloudOffline(node.dataDir, invite.code)
      }
      if (start) await node.start()
      return node
    },
    async cleanup() {
      await Promise.all(nodes.map((node) => node.kill()))
      await rm(root, { recursive: true, force: true })
    },
  }
  try {
    for (let i = 0; i < n; i++) await cloud.addNode()
  } catch (err) {
    await cloud.cleanup()
    throw err
  }
  return cloud
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Polls an async check until it returns true or the bound runs out. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      if (await check()) return
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`,
      )
    }
    await sleep(100)
  }
}
