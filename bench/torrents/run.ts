// Swarm benchmark (the Cloudy paper's second experiment): N peers, one initial seeder, a file of F
// bytes; every peer in a network namespace of its own behind a router namespace, its link shaped
// with tc tbf at both ends (upload on its side, download on the router's side). Measures the time
// until every peer has the file, for Cloudy (its tracker and client, each peer a process) and for
// Transmission with Debian's opentracker on the same links in the same run, and compares both with
// the fluid lower bound max(F/u_s, N·F/(u_s+Σu_i), F/d_min). Needs root. See README.md.
//
//   node --import tsx bench/torrents/run.ts [--nodes 20] [--sizes 30,256] [--up 1] [--down 2] [--write]
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  createNetnsLab,
  type Iface,
  type LabProcess,
  type Netns,
  type NetnsLab,
  run,
} from '../../test/helpers/netns.ts'
import { REPO } from '../../test/helpers/test-cloud.ts'
import { median } from '../stats.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20' },
    sizes: { type: 'string', default: '30,256' },
    /** MiB/s per peer */
    up: { type: 'string', default: '1' },
    down: { type: 'string', default: '2' },
    clients: { type: 'string', default: 'cloudy,transmission' },
    write: { type: 'boolean', default: false },
  },
})
const N = Number(values.nodes)
const MiB = 1024 * 1024
const up = Number(values.up) * MiB
const down = Number(values.down) * MiB
const sizes = (values.sizes as string).split(',').map((s) => Number(s) * MiB)
const clients = (values.clients as string).split(',')
const PIECE = 256 * 1024
const TRACKER_PORT = 6969

interface Peer {
  ns: Netns
  iface: Iface
}

interface RunResult {
  client: string
  size: number
  /** seconds from start until each leecher had the file; NaN for one that did not finish */
  times: number[]
  bound: number
}

function fluidBound(size: number): number {
  const leechers = N - 1
  return Math.max(size / up, (leechers * size) / (up + leechers * up), size / down)
}

async function ok(lab: NetnsLab, ns: Netns, cmd: string, args: string[]): Promise<void> {
  const r = await lab.exec(ns, cmd, args)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
}

/** tbf on an interface's egress; the burst covers a 64 KiB GSO segment */
async function shape(lab: NetnsLab, ns: Netns, dev: string, bytesPerS: number): Promise<void> {
  const burst = Math.max(128 * 1024, Math.round(bytesPerS / 50))
  await ok(lab, ns, 'tc', [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${Math.round(bytesPerS * 8)}bit`,
    'burst',
    String(burst),
    'latency',
    process.env.BENCH_TBF_LATENCY ?? '200ms',
  ])
}

/** A router namespace; the tracker's and every peer's namespace hangs off it on a link of its own. */
async function buildNetwork(lab: NetnsLab): Promise<{ tracker: Peer; peers: Peer[] }> {
  const router = await lab.namespace()
  await ok(lab, router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
  const attach = async (shaped: boolean): Promise<Peer> => {
    const ns = await lab.namespace()
    const [routerSide, peerSide] = await lab.link(router, ns)
    await ok(lab, ns, 'ip', ['route', 'add', 'default', 'via', routerSide.address])
    if (shaped) {
      await shape(lab, ns, peerSide.ifname, up)
      await shape(lab, router, routerSide.ifname, down)
    }
    return { ns, iface: peerSide }
  }
  const tracker = await attach(false)
  const peers: Peer[] = []
  for (let i = 0; i < N; i++) peers.push(await attach(true))
  return { tracker, peers }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 100))
  }
  return true
}

const jsonLines = (p: LabProcess) =>
  p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

async function runCloudy(
  lab: NetnsLab,
  root: string,
  net: { tracker: Peer; peers: Peer[] },
  payload: string,
  size: number,
) {
  const node = (ns: Netns, args: string[]) =>
    lab.spawn(ns, process.execPath, ['--import', 'tsx', ...args], {
      cwd: REPO,
      ownWatchdog: true,
      graceMs: 5000,
    })
  const trackerAddr = net.tracker.iface.address
  const tracker = node(net.tracker.ns, [
    'bench/tracker/tracker-process.ts',
    trackerAddr,
    String(TRACKER_PORT),
    '60',
  ])
  await tracker.waitFor(/"port"/, 60_000)
  const trackers = [`udp://${trackerAddr}:${TRACKER_PORT}`, `http://${trackerAddr}:${TRACKER_PORT}/announce`]
  const trackerArgs = trackers.flatMap((t) => ['--tracker', t])
  const seed = net.peers[0] as Peer
  const seeder = node(seed.ns, [
    'bench/torrents/cloudy-peer.ts',
    '--dir',
    join(root, 'cloudy-0'),
    '--seed',
    payload,
    ...trackerArgs,
    ...(process.env.BENCH_CLIENT_LIMIT ? ['--upload-limit', String(Math.round(up * 0.95))] : []),
  ])
  await seeder.waitFor(/"seeding"/, 600_000)
  const torrentPath = jsonLines(seeder).find((l) => l.seeding)?.torrentPath as string
  const leechers = net.peers
    .slice(1)
    .map((p, i) =>
      node(p.ns, [
        'bench/torrents/cloudy-peer.ts',
        '--dir',
        join(root, `cloudy-${i + 1}`),
        '--torrent',
        torrentPath,
        '--wait',
        ...(process.env.BENCH_CLIENT_LIMIT ? ['--upload-limit', String(Math.round(up * 0.95))] : []),
        ...trackerArgs,
      ]),
    )
  // every process is up (their start-up is not the swarm's time) before the torrent is added
  await Promise.all(leechers.map((l) => l.waitFor(/"ready"/, 120_000)))
  const t0 = Date.now()
  for (const l of leechers) l.child.stdin?.write('go\n')
  const doneAt = () => leechers.map((l) => jsonLines(l).find((x) => x.done)?.t as number | undefined)
  await until(
    () => doneAt().every((t) => t !== undefined),
    fluidBound(size) * 5000 + Number(process.env.BENCH_GRACE_MS ?? 120_000),
  )
  const times = doneAt().map((t) => (t === undefined ? Number.NaN : (t - t0) / 1000))
  if (times.some(Number.isNaN) || process.env.BENCH_DUMP) {
    console.error(`cloudy: unfinished; seeder said:\n${seeder.output().slice(-2000)}`)
    console.error(
      `a leecher said:\n${(leechers.find((_, i) => Number.isNaN(times[i])) ?? leechers[0])?.output().slice(-3000)}`,
    )
    tracker.child.stdin?.write('stats\n')
    await until(() => false, 500)
    console.error(`tracker:\n${tracker.output().slice(-2000)}`)
  }
  for (const p of [...leechers, seeder, tracker]) await p.stop()
  return times
}

async function runTransmission(
  lab: NetnsLab,
  root: string,
  net: { tracker: Peer; peers: Peer[] },
  payload: string,
  seedDir: string,
  size: number,
) {
  const trackerAddr = net.tracker.iface.address
  const torrent = join(root, `transmission-${size}.torrent`)
  const made = await run(
    'transmission-create',
    [
      '-o',
      torrent,
      '-s',
      String(PIECE / 1024),
      '-t',
      `http://${trackerAddr}:${TRACKER_PORT}/announce`,
      payload,
    ],
    { timeoutMs: 600_000 },
  )
  if (made.code !== 0) throw new Error(`transmission-create: ${made.stderr}`)
  const infoHash = /Hash: ([0-9a-f]{40})/.exec((await run('transmission-show', [torrent])).stdout)?.[1]
  const trackerDir = join(root, `opentracker-${size}`)
  await mkdir(trackerDir, { mode: 0o755 })
  await writeFile(join(trackerDir, 'whitelist.txt'), `${infoHash}\n`, { mode: 0o644 })
  const tracker = lab.spawn(net.tracker.ns, 'sh', [
    '-c',
    `cd "$0" && exec opentracker -i ${trackerAddr} -p ${TRACKER_PORT} -P ${TRACKER_PORT} -d . -w whitelist.txt`,
    trackerDir,
  ])
  await until(() => false, 1000)
  const transmission = async (i: number, dir: string) => {
    const config = join(root, `transmission-config-${size}-${i}`)
    await mkdir(config, { recursive: true })
    await writeFile(
      join(config, 'settings.json'),
      JSON.stringify({
        'dht-enabled': false,
        'lpd-enabled': false,
        'pex-enabled': false,
        'utp-enabled': false,
        'port-forwarding-enabled': false,
        'peer-port': 51413,
        'speed-limit-up-enabled': false,
        'speed-limit-down-enabled': false,
        'ratio-limit-enabled': false,
      }),
    )
    const peer = net.peers[i] as Peer
    return lab.spawn(peer.ns, 'transmission-cli', ['-g', config, '-w', dir, '-M', torrent])
  }
  const seeder = await transmission(0, seedDir)
  await seeder.waitFor(/Seeding/, 600_000)
  const outs: string[] = []
  for (let i = 1; i < N; i++) {
    const out = join(root, `transmission-${size}-${i}`)
    await mkdir(out, { recursive: true })
    outs.push(out)
  }
  const t0 = Date.now()
  const leechers = await Promise.all(outs.map((out, i) => transmission(i + 1, out)))
  const doneAt: (number | undefined)[] = leechers.map(() => undefined)
  await until(
    () => {
      leechers.forEach((l, i) => {
        if (doneAt[i] === undefined && /Seeding/.test(l.output())) doneAt[i] = Date.now()
      })
      return doneAt.every((t) => t !== undefined)
    },
    fluidBound(size) * 5000 + 120_000,
  )
  const times = doneAt.map((t) => (t === undefined ? Number.NaN : (t - t0) / 1000))
  for (const p of [...leechers, seeder, tracker]) await p.stop()
  return times
}

const results: RunResult[] = []
const lab = await createNetnsLab()
try {
  const net = await buildNetwork(lab)
  const root = await lab.tempDir()
  for (const size of sizes) {
    const seedDir = join(root, `payload-${size}`)
    await mkdir(seedDir, { recursive: true })
    const payload = join(seedDir, `payload-${size / MiB}MiB.bin`)
    await writeFile(payload, randomBytes(size))
    for (const client of clients) {
      const times =
        client === 'cloudy'
          ? await runCloudy(lab, root, net, payload, size)
          : await runTransmission(lab, root, net, payload, seedDir, size)
      const r: RunResult = { client, size, times, bound: fluidBound(size) }
      results.push(r)
      console.log(JSON.stringify({ ...r, max: Math.max(...times), median: median(times) }))
    }
  }
} finally {
  await lab.dispose()
}

const fmt = (s: number) => (Number.isNaN(s) ? 'did not finish' : `${s.toFixed(1)} s`)
const lines = [
  '# bench/torrents results',
  '',
  `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, load average at the end ${loadavg()[0]?.toFixed(2)}. ${N} peers (one initial seeder), each in its own network namespace behind a router namespace; every peer's link shaped with tc tbf to ${values.up} MiB/s up and ${values.down} MiB/s down; pieces of ${PIECE / 1024} KiB; no DHT, LSD, PEX or uTP. Cloudy: its tracker and one torrent client process per peer (src/torrents, as the daemon runs them). Transmission 3.00 (transmission-cli) with Debian's opentracker. Times from the moment every leecher is told to start until it has verified the whole file.`,
  '',
  '| file | client | every peer done | median peer | fluid bound | done / bound |',
  '| ---: | --- | ---: | ---: | ---: | ---: |',
  ...results.map((r) => {
    const max = Math.max(...r.times)
    return `| ${r.size / MiB} MiB | ${r.client === 'cloudy' ? 'Cloudy' : 'Transmission + opentracker'} | ${fmt(max)} | ${fmt(median(r.times))} | ${r.bound.toFixed(1)} s | ${Number.isNaN(max) ? '-' : (max / r.bound).toFixed(2)} |`
  }),
  '',
]
console.log(lines.join('\n'))
if (values.write) await writeFile(join(import.meta.dirname, 'RESULTS.md'), lines.join('\n'))
