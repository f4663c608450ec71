import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { CLI, prepareNode } from './test-cloud.ts'

/**
 * Network-namespace labs for tests that need real LAN behaviour (multicast, several addresses)
 * without sending a packet outside the namespaces they create. Everything a lab makes is torn down
 * in reverse order by `dispose()`, even after a failure half-way; the daemons it starts die with
 * the test process (a watchdog kills them when their stdin closes).
 */

export const AVAHI_PROGRAMS = ['avahi-daemon', 'avahi-browse', 'avahi-publish', 'dbus-daemon'] as const

const NS_PREFIX = 'cloudy-'
const TMP_PREFIX = 'cloudy-netns-'

export interface ExecResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a program to its end (or to `timeoutMs`, then kills it) and collects its output. */
export function run(
  cmd: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 15_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null
        resolve({
          code,
          stdout: String(stdout),
          stderr: err && code === null ? `${stderr}${err.message}` : String(stderr),
        })
      },
    )
  })
}

async function ok(cmd: string, args: readonly string[]): Promise<string> {
  const r = await run(cmd, args)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`)
  return r.stdout
}

/**
 * Whether this machine can run namespace tests: root, a working `ip netns`, and `programs`
 * (pass AVAHI_PROGRAMS for DNS-SD tests). `reason` says what is missing, for the skip message.
 */
export async function hasNetnsSupport(
  programs: readonly string[] = AVAHI_PROGRAMS,
): Promise<{ ok: boolean; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' }
  for (const program of ['ip', ...programs]) {
    if ((await run('sh', ['-c', 'command -v "$1"', 'sh', program])).code !== 0) {
      return {
        ok: false,
        reason: `${program} is not installed (Debian: iproute2 avahi-daemon avahi-utils dbus)`,
      }
    }
  }
  const probe = `${NS_PREFIX}${process.pid}-probe${randomBytes(2).toString('hex')}`
  const added = await run('ip', ['netns', 'add', probe])
  if (added.code !== 0) return { ok: false, reason: `ip netns add failed: ${added.stderr.trim()}` }
  await run('ip', ['netns', 'del', probe])
  return { ok: true, reason: '' }
}

export interface Netns {
  readonly name: string
}

export interface Iface {
  ns: Netns
  ifname: string
  /** 10.x.y.z, existing only inside the lab's namespaces */
  address: string
}

export interface LabProcess {
  readonly child: ChildProcess
  /** stdout and stderr so far */
  output(): string
  /** resolves when the output matches `pattern`; rejects if the process exits first or after `timeoutMs` */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** closes stdin and the watchdog's lifeline and waits for the exit (SIGTERM, then SIGKILL if slow) */
  stop(): Promise<void>
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /**
   * The program exits by itself when its stdin closes (a Cloudy child, which first says goodbye):
   * the watchdog then waits `graceMs` before it sends SIGTERM. Otherwise it sends SIGTERM at once.
   */
  ownWatchdog?: boolean
  /** how long a program with its own watchdog may take to stop (default 10 s) */
  graceMs?: number
}

/**
 * Runs "$@" with our stdin and watches fd 3, a pipe that only this test process holds: when it
 * closes (stop(), or this process died) it sends SIGTERM after $1 seconds, then SIGKILL 5 s later.
 * It is a second line of defence: a process stuck at exit ignores its stdin but not SIGKILL.
 */
const WATCHDOG = [
  'grace=$1; shift',
  'exec 4<&0',
  '"$@" <&4 3<&- 4<&- & c=$!',
  '(cat <&3; sleep "$grace"; kill -TERM $c; sleep 5; kill -KILL $c) </dev/null >/dev/null 2>&1 4<&- & w=$!',
  'exec 3<&- 4<&-',
  'wait $c; rc=$?; kill $w 2>/dev/null; exit $rc',
].join('\n')

export interface NetnsLab {
  /** a fresh namespace with only `lo` (up) */
  namespace(): Promise<Netns>
  /** a veth pair between two namespaces with addresses in a fresh 10.x.y.0/24 */
  link(a: Netns, b: Netns): Promise<[Iface, Iface]>
  /** a bridge in a hub namespace of its own and one veth per member: one LAN, one 10.x.y.0/24 */
  lan(members: readonly Netns[]): Promise<Iface[]>
  /** a temp dir removed at dispose */
  tempDir(): Promise<string>
  /** runs a program inside `ns` to its end */
  exec(
    ns: Netns,
    cmd: string,
    args: readonly string[],
    options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<ExecResult>
  /** starts a long-running program inside `ns`, stopped at dispose */
  spawn(ns: Netns, cmd: string, args: readonly string[], options?: SpawnOptions): LabProcess
  /** a private system bus for `ns` (D-Bus is not separated by network namespaces); its address */
  dbus(ns: Netns): Promise<string>
  /** avahi-daemon in `ns` on `interfaces`, IPv4 only, talking to the private bus at `busAddress` */
  avahi(
    ns: Netns,
    options: { interfaces: string[]; busAddress: string; hostName: string },
  ): Promise<LabProcess>
  /** registers a teardown step; steps run in reverse order */
  defer(step: () => Promise<unknown> | unknown): void
  dispose(): Promise<void>
}

/** A lab. Removes the namespaces and temp dirs that an earlier, crashed test process left behind. */
export async function createNetnsLab(): Promise<NetnsLab> {
  await removeLeftovers()
  const steps: (() => Promise<unknown> | unknown)[] = []
  const defer = (step: () => Promise<unknown> | unknown) => {
    steps.push(step)
  }
  const tag = randomBytes(3).toString('hex')
  let counter = 0
  // one random second octet per lab, one third octet per link or LAN: subnets never clash within a lab
  const octet2 = 1 + ((randomBytes(1)[0] as number) % 254)
  let octet3 = 0
  const nextSubnet = () => {
    if (octet3 > 255) throw new Error('a lab has at most 256 links')
    return `10.${octet2}.${octet3++}`
  }
  const ifname = (side: string) => `cy${tag}${(counter++).toString(36)}${side}`

  const namespace = async (): Promise<Netns> => {
    const name = `${NS_PREFIX}${process.pid}-${tag}-${counter++}`
    await ok('ip', ['netns', 'add', name])
    defer(() => ok('ip', ['netns', 'del', name]))
    await ok('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
    return { name }
  }

  const veth = async (a: Netns, b: Netns): Promise<[string, string]> => {
    const [ia, ib] = [ifname('a'), ifname('b')]
    // created directly inside the namespaces; deleting either namespace deletes the pair
    await ok('ip', ['link', 'add', ia, 'netns', a.name, 'type', 'veth', 'peer', 'name', ib, 'netns', b.name])
    return [ia, ib]
  }

  const up = async (ns: Netns, dev: string, address?: string) => {
    if (address !== undefined) await ok('ip', ['-n', ns.name, 'addr', 'add', `${address}/24`, 'dev', dev])
    await ok('ip', ['-n', ns.name, 'link', 'set', dev, 'up'])
  }

  const spawnIn = (
    ns: Netns,
    cmd: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ): LabProcess => {
    const graceMs = options.ownWatchdog ? (options.graceMs ?? 10_000) : 0
    const argv = ['sh', '-c', WATCHDOG, 'watchdog', String(Math.ceil(graceMs / 1000)), cmd, ...args]
    const child = spawn('ip', ['netns', 'exec', ns.name, ...argv], {
      env: options.env ?? process.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
    })
    const lifeline = child.stdio[3] as Writable
    lifeline.on('error', () => {})
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stdin?.on('error', () => {})
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.once('exit', () => resolve())
      child.once('error', () => resolve())
    })
    const proc: LabProcess = {
      child,
      output: () => out,
      async waitFor(pattern, timeoutMs = 20_000) {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const m = pattern.exec(out)
          if (m) return m[0]
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(
              `${cmd} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${out}`,
            )
          }
          if (Date.now() > deadline)
            throw new Error(`${cmd} did not print ${pattern} within ${timeoutMs} ms:\n${out}`)
          await new Promise((r) => setTimeout(r, 50))
        }
      },
      async stop() {
        child.stdin?.end()
        lifeline.end()
        // the watchdog itself escalates to SIGKILL 5 s after the grace period; this is the last resort
        const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), graceMs + 7000).unref())
        if ((await Promise.race([exited, timer])) === 'late' && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL') // the process group this lab started (detached)
          } catch {}
          await exited
        }
      },
    }
    defer(() => proc.stop())
    return proc
  }

  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), `${TMP_PREFIX}${process.pid}-`))
    defer(() => rm(dir, { recursive: true, force: true }))
    return dir
  }

  return {
    namespace,
    defer,
    tempDir,
    spawn: spawnIn,

    async link(a, b) {
      const subnet = nextSubnet()
      const [ia, ib] = await veth(a, b)
      await up(a, ia, `${subnet}.1`)
      await up(b, ib, `${subnet}.2`)
      return [
        { ns: a, ifname: ia, address: `${subnet}.1` },
        { ns: b, ifname: ib, address: `${subnet}.2` },
      ]
    },

    async lan(members) {
      const subnet = nextSubnet()
      const hub = await namespace()
      await ok('ip', ['-n', hub.name, 'link', 'add', 'br0', 'type', 'bridge'])
      await up(hub, 'br0')
      const out: Iface[] = []
      for (const [i, ns] of members.entries()) {
        const [hubSide, memberSide] = await veth(hub, ns)
        await ok('ip', ['-n', hub.name, 'link', 'set', hubSide, 'master', 'br0'])
        await up(hub, hubSide)
        await up(ns, memberSide, `${subnet}.${i + 1}`)
        out.push({ ns, ifname: memberSide, address: `${subnet}.${i + 1}` })
      }
      return out
    },

    exec(ns, cmd, args, options = {}) {
      return run('ip', ['netns', 'exec', ns.name, cmd, ...args], options)
    },

    async dbus(ns) {
      const dir = await tempDir()
      const socket = join(dir, 'system_bus_socket')
      // a system bus (avahi-daemon looks for one) open to everyone: only this test's processes can reach it
      await writeFile(
        join(dir, 'bus.conf'),
        `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`,
      )
      const bus = spawnIn(ns, 'dbus-daemon', [
        `--config-file=${join(dir, 'bus.conf')}`,
        '--nofork',
        '--print-address',
      ])
      await bus.waitFor(/^unix:path=\S+/m, 10_000)
      return `unix:path=${socket}`
    },

    async avahi(ns, options) {
      const dir = await tempDir()
      const runDir = join(dir, 'run')
      await mkdir(runDir)
      const conf = join(dir, 'avahi-daemon.conf')
      await writeFile(
        conf,
        [
          '[server]',
          `host-name=${options.hostName}`,
          'use-ipv4=yes',
          'use-ipv6=no',
          `allow-interfaces=${options.interfaces.join(',')}`,
          'enable-dbus=yes',
          '[wide-area]',
          'enable-wide-area=no',
          '[publish]',
          'publish-hinfo=no',
          'publish-workstation=no',
          '',
        ].join('\n'),
      )
      // avahi-daemon's pid file and socket live at the fixed path /run/avahi-daemon: bind a private
      // dir over it, inside the mount namespace that `ip netns exec` gives each command, so it runs
      // beside the machine's own avahi-daemon and beside other labs
      const daemon = spawnIn(
        ns,
        'sh',
        [
          '-c',
          'mkdir -p /run/avahi-daemon && mount --bind "$0" /run/avahi-daemon && exec "$@"',
          runDir,
          'avahi-daemon',
          '-f',
          conf,
          '--no-chroot',
          '--no-drop-root',
          '--no-rlimits',
        ],
        { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: options.busAddress } },
      )
      await daemon.waitFor(/Server startup complete/, 20_000)
      return daemon
    },

    async dispose() {
      const errors: unknown[] = []
      for (const step of steps.splice(0).reverse()) {
        try {
          await step()
        } catch (err) {
          errors.push(err)
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'netns lab teardown failed')
    },
  }
}

/** Deletes `cloudy-<pid>-...` namespaces and `cloudy-netns-<pid>-...` temp dirs whose test process is gone. */
async function removeLeftovers(): Promise<void> {
  const list = await run('ip', ['netns', 'list'])
  for (const line of list.stdout.split('\n')) {
    const m = new RegExp(`^(${NS_PREFIX}(\\d+)-\\S+)`).exec(line)
    if (m && !isAlive(Number(m[2]))) await run('ip', ['netns', 'del', m[1] as string])
  }
  for (const entry of await readdir(tmpdir())) {
    const m = new RegExp(`^${TMP_PREFIX}(\\d+)-`).exec(entry)
    if (m && !isAlive(Number(m[1]))) await rm(join(tmpdir(), entry), { recursive: true, force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A Cloudy daemon on a data dir inside a lab namespace, and the CLI run beside it (on that namespace's 127.0.0.1). */
export interface NamespacedNode {
  readonly ns: Netns
  readonly dataDir: string
  /** the running daemon, once started */
  readonly daemon: LabProcess | undefined
  /** runs `cloudy start` (with CLOUDY_WATCHDOG=1); resolves when the daemon says it runs */
  start(): Promise<void>
  /** SIGKILL to the daemon's process group: no graceful leave */
  kill(): Promise<void>
  /** runs a CLI command on this node's data dir inside its namespace */
  cli(args: readonly string[], timeoutMs?: number): Promise<ExecResult>
  /** runs a CLI command with `--json` and parses its output; throws when the command fails */
  json<T>(args: readonly string[]): Promise<T>
}

/**
 * Prepares a data dir under `root` (test timings, ports 0; with `cloud`, a new cloud of that name),
 * overrides config.json fields with `config` (host, mdns, useRelays, ...), and returns the node in
 * `ns`, not started. Its daemon is stopped at the lab's dispose.
 */
export async function namespacedNode(
  lab: NetnsLab,
  ns: Netns,
  options: { root: string; name: string; cloud?: string; config?: Record<string, unknown> },
): Promise<NamespacedNode> {
  const prepared = await prepareNode(
    options.root,
    options.name,
    options.cloud === undefined ? {} : { cloud: options.cloud },
  )
  const dataDir = prepared.dataDir
  const configPath = join(dataDir, 'config.json')
  const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>
  await writeFile(
    configPath,
    JSON.stringify({ ...config, p2pPort: 0, joinPort: 0, apiPort: 0, ...options.config }, null, 2),
  )
  let daemon: LabProcess | undefined
  const cli = (args: readonly string[], timeoutMs = 20_000) =>
    lab.exec(ns, process.execPath, [CLI, ...args, '--data-dir', dataDir], { timeoutMs })
  return {
    ns,
    dataDir,
    get daemon() {
      return daemon
    },
    async start() {
      daemon = lab.spawn(ns, process.execPath, [CLI, 'start', '--data-dir', dataDir], {
        ownWatchdog: true,
        env: { ...process.env, CLOUDY_WATCHDOG: '1' },
      })
      await daemon.waitFor(/Cloudy node started/, 30_000)
    },
    async kill() {
      const child = daemon?.child
      if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(-child.pid, 'SIGKILL') // the daemon's process group, which this lab started
      await exited
    },
    cli,
    async json<T>(args: readonly string[]): Promise<T> {
      const r = await cli([...args, '--json'])
      if (r.code !== 0) throw new Error(`cloudy ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`)
      return JSON.parse(r.stdout) as T
    },
  }
}
