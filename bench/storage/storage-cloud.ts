import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServiceView } from '../../src/catalogue/types.ts'
import { joinCloudOffline } from '../../src/node/offline.ts'
import { CLI, eventually, prepareNode, sleep, TestNode } from '../../test/helpers/test-cloud.ts'

const PROFILE_HOOK = fileURLToPath(new URL('./cpu-profile-hook.js', import.meta.url))

/**
 * A daemon like the test helper's TestNode, started with the CPU-profile hook preloaded
 * (cpu-profile-hook.js: idle until SIGUSR2), so that the benchmark can profile a transfer without
 * restarting the node.
 */
export class BenchNode extends TestNode {
  readonly profileDir: string
  /** the `cloudy` script the daemon runs: this checkout's bin/cloudy.js, or another build's (compare.ts) */
  readonly entry: string

  constructor(name: string, dataDir: string, profileDir: string, entry = CLI) {
    super(name, dataDir)
    this.profileDir = profileDir
    this.entry = entry
  }

  get pid(): number {
    const pid = this.proc?.pid
    if (pid === undefined || this.proc?.exitCode !== null) throw new Error(`${this.name} is not running`)
    return pid
  }

  override async start(extraArgs: string[] = []): Promise<void> {
    const args = ['--import', PROFILE_HOOK, this.entry, 'start', '--data-dir', this.dataDir]
    args.push('--api-port', '0', '--p2p-port', '0', ...extraArgs)
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CLOUDY_WATCHDOG: '1',
        CLOUDY_LOG_LEVEL: process.env.CLOUDY_LOG_LEVEL ?? 'info',
        CLOUDY_BENCH_PROFILE_DIR: this.profileDir,
      },
    })
    this.proc = child
    this.log = ''
    child.stdout?.on('data', (d) => (this.log += d))
    child.stderr?.on('data', (d) => (this.log += d))
    const deadline = Date.now() + 60_000
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

  /** Starts the CPU profiler in the running daemon (SIGUSR2) and waits until it runs. */
  async startProfile(): Promise<void> {
    await this.#profileSignal('started')
  }

  /** Stops the profiler and returns the path of the written .cpuprofile. */
  async stopProfile(): Promise<string> {
    return (await this.#profileSignal('written')).path as string
  }

  async #profileSignal(state: string): Promise<Record<string, unknown>> {
    const seen = this.#profileLines().length
    this.proc?.kill('SIGUSR2')
    let line: Record<string, unknown> | undefined
    await eventually(
      () => {
        line = this.#profileLines()[seen]
        return line !== undefined
      },
      `${this.name}'s CPU profiler to report "${state}"`,
      30_000,
    )
    if (line?.state !== state) throw new Error(`${this.name}'s CPU profiler: ${JSON.stringify(line)}`)
    return line
  }

  #profileLines(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = []
    for (const text of this.log.split('\n')) {
      if (!text.startsWith('{"benchCpuProfile"')) continue
      try {
        out.push((JSON.parse(text) as { benchCpuProfile: Record<string, unknown> }).benchCpuProfile)
      } catch {
        // a line cut by the pipe: the rest comes with the next chunk
      }
    }
    return out
  }
}

export interface StorageCloudOptions {
  /** storage server processes (default 10) */
  servers: number
  /**
   * more gateways (no storage server) beside node-1, each running its own build's `cloudy`
   * (bin/cloudy.js of another checkout): compare.ts puts them side by side
   */
  extraGateways?: { name: string; entry: string }[]
  progress: (text: string) => void
}

/**
 * The benchmark's cloud on 127.0.0.1: node-1 is the gateway (its API takes the uploads; it runs no
 * storage server, so its CPU and memory are the gateway's alone), node-2 … node-(servers+1) each run
 * the built-in storage service (`reserved: 0`, capacity: what the disk allows). Product timings and
 * encoding defaults; each node is invited by the one before it (a member's join server takes at
 * most 10 join attempts a minute from one IP).
 */
export class StorageCloud {
  readonly root: string
  readonly gateway: BenchNode
  readonly servers: BenchNode[] = []
  /** gateways beside node-1 (options.extraGateways), in order */
  readonly extraGateways: BenchNode[] = []

  private constructor(root: string, gateway: BenchNode) {
    this.root = root
    this.gateway = gateway
  }

  get nodes(): BenchNode[] {
    return [this.gateway, ...this.servers, ...this.extraGateways]
  }

  static async create(options: StorageCloudOptions): Promise<StorageCloud> {
    const root = await mkdtemp(join(tmpdir(), 'cloudy-bench-storage-'))
    const profileDir = join(root, 'profiles')
    await mkdir(profileDir)
    const made = async (name: string, cloud?: string, entry?: string): Promise<BenchNode> => {
      const node = await prepareNode(root, name, { timing: {}, ...(cloud && { cloud }) })
      return new BenchNode(node.name, node.dataDir, profileDir, entry)
    }
    const cloud = new StorageCloud(root, await made('node-1', 'storage bench'))
    try {
      await cloud.gateway.start()
      let inviter = cloud.gateway
      for (let i = 0; i < options.servers; i++) {
        const node = await made(`node-${i + 2}`)
        await StorageCloud.#join(node, inviter)
        await node.start()
        await node.api('PUT', '/builtin-services/storage', { options: { port: 0, reserved: 0 } })
        cloud.servers.push(node)
        inviter = node
        options.progress(`${i + 1}/${options.servers} storage nodes started`)
      }
      for (const [i, extra] of (options.extraGateways ?? []).entries()) {
        const node = await made(`node-${options.servers + 2 + i}`, undefined, extra.entry)
        await StorageCloud.#join(node, inviter)
        await node.start()
        cloud.extraGateways.push(node)
        inviter = node
        options.progress(`gateway ${extra.name} started (${node.name})`)
      }
      await cloud.waitForServers()
    } catch (err) {
      await cloud.cleanup()
      throw err
    }
    return cloud
  }

  static async #join(node: BenchNode, inviter: BenchNode): Promise<void> {
    // the join handshake has a 5 s bound per address: on a loaded machine, try again
    for (let attempt = 1; ; attempt++) {
      try {
        const invite = await inviter.api<{ code: string }>('POST', '/invites', { expires: '1h' })
        await joinCloudOffline(node.dataDir, invite.code)
        return
      } catch (err) {
        if (attempt >= 3) throw err
        await sleep(2000)
      }
    }
  }

  /** Waits until every gateway's catalogue lists every storage server. */
  async waitForServers(timeoutMs = 120_000): Promise<void> {
    for (const gateway of [this.gateway, ...this.extraGateways]) {
      await eventually(
        async () =>
          (await gateway.api<ServiceView[]>('GET', '/services?type=storage')).length === this.servers.length,
        `${gateway.name} to see ${this.servers.length} storage servers`,
        timeoutMs,
      )
    }
  }

  /** Restarts the gateway daemon (SIGTERM, start), so that its VmHWM starts afresh. */
  async restartGateway(): Promise<void> {
    await this.gateway.stop()
    await this.gateway.start()
    await this.waitForServers()
  }

  storagePids(): number[] {
    return this.servers.map((node) => node.pid)
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()))
    await rm(this.root, { recursive: true, force: true })
  }
}
