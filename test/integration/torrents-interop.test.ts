import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TorrentView } from '../../src/torrents/views.ts'
import {
  createNetnsLab,
  hasNetnsSupport,
  type Iface,
  type NamespacedNode,
  type NetnsLab,
  namespacedNode,
  run,
} from '../helpers/netns.ts'
import { CLI, createTestCloud, eventually, type TestCloud, type TestNode } from '../helpers/test-cloud.ts'

// Real third-party BitTorrent programs against Cloudy: aria2c on loopback; Transmission (which
// refuses peers at 127.x) and opentracker in network namespaces of their own on one bridged LAN.

const hasAria2 = (await run('sh', ['-c', 'command -v aria2c'])).code === 0
if (!hasAria2) console.warn('aria2c interop test skipped: aria2c is not installed (Debian: aria2)')
const netns = await hasNetnsSupport(['transmission-cli', 'transmission-create', 'opentracker'])
if (!netns.ok) console.warn(`Transmission/opentracker interop test skipped: ${netns.reason}`)

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex')
const findTorrent = async (node: { json<T>(a: string[]): Promise<T> } | TestNode, infoHash: string) => {
  const list =
    'api' in node
      ? await node.api<TorrentView[]>('GET', '/torrents')
      : await node.json<TorrentView[]>(['torrent', 'ls'])
  return list.find((t) => t.infoHash === infoHash)
}

describe.skipIf(!hasAria2)('aria2c and Cloudy on loopback', () => {
  let cloud: TestCloud
  let node: TestNode

  beforeAll(async () => {
    cloud = await createTestCloud(1)
    node = cloud.nodes[0] as TestNode
    for (const args of [
      ['service', 'enable', 'tracker', '--option', 'port=0'],
      ['service', 'enable', 'torrents'],
    ]) {
      const r = await node.cli(args)
      if (r.code !== 0) throw new Error(r.stderr)
    }
  })

  afterAll(async () => {
    await cloud?.cleanup()
  })

  it("aria2c downloads a torrent that Cloudy seeds, through Cloudy's tracker, and the files match", async () => {
    const dir = join(cloud.root, 'album')
    await mkdir(join(dir, 'disc 1'), { recursive: true })
    await writeFile(join(dir, 'disc 1', 'track.flac'), randomBytes(1_500_000))
    await writeFile(join(dir, 'cover.jpg'), randomBytes(80_000))
    const r = await node.cli(['torrent', 'create', dir, '--seed'])
    expect(r.code, r.stderr).toBe(0)
    const torrentPath = r.stdout.split('\n')[0] as string
    const out = join(cloud.root, 'aria2-out')
    const aria = await run(
      'aria2c',
      [
        `--dir=${out}`,
        '--seed-time=0',
        '--enable-dht=false',
        '--enable-dht6=false',
        '--bt-enable-lpd=false',
        '--enable-peer-exchange=false',
        '--check-integrity=true',
        '--summary-interval=0',
        '--console-log-level=warn',
        torrentPath,
      ],
      { timeoutMs: 60_000 },
    )
    expect(aria.code, aria.stdout + aria.stderr).toBe(0)
    expect(await sha256(join(out, 'album', 'disc 1', 'track.flac'))).toBe(
      await sha256(join(dir, 'disc 1', 'track.flac')),
    )
    expect(await sha256(join(out, 'album', 'cover.jpg'))).toBe(await sha256(join(dir, 'cover.jpg')))
  })

  it('Cloudy downloads from aria2c by magnet link (metadata from the peer), and the file matches', async () => {
    const src = join(cloud.root, 'aria2-seed')
    await mkdir(src)
    await writeFile(join(src, 'notes.bin'), randomBytes(700_000))
    // Cloudy makes the .torrent (without seeding it); aria2c seeds the data, Cloudy fetches by magnet
    const made = await node.cli(['torrent', 'create', join(src, 'notes.bin'), '--json'])
    const created = JSON.parse(made.stdout) as { torrentPath: string; magnet: string; infoHash: string }
    const seeder = spawn(
      'aria2c',
      [
        `--dir=${src}`,
        '--seed-ratio=0.0',
        '--check-integrity=true',
        '--enable-dht=false',
        '--enable-dht6=false',
        '--bt-enable-lpd=false',
        '--enable-peer-exchange=false',
        '--console-log-level=warn',
        '--summary-interval=0',
        '--stop-with-process',
        String(process.pid),
        created.torrentPath,
      ],
      { stdio: 'ignore' },
    )
    const exited = new Promise((resolve) => seeder.once('exit', resolve))
    try {
      const added = await node.cli(['torrent', 'add', created.magnet])
      expect(added.code, added.stderr).toBe(0)
      await eventually(
        async () => (await findTorrent(node, created.infoHash))?.status === 'seeding',
        'the download',
      )
      const view = (await findTorrent(node, created.infoHash)) as TorrentView
      expect(await sha256(join(view.path, 'notes.bin'))).toBe(await sha256(join(src, 'notes.bin')))
    } finally {
      seeder.kill('SIGKILL')
      await exited
    }
  })
})

describe.skipIf(!netns.ok)('Transmission, opentracker and Cloudy in network namespaces', () => {
  let lab: NetnsLab
  let node: NamespacedNode
  let lan: Iface[]
  let root: string

  /** transmission-cli with DHT, LPD, PEX and port mapping off, in its own config dir */
  async function transmission(args: { name: string; torrent: string; dir: string; port: number }) {
    const config = join(root, `transmission-config-${args.name}`)
    await mkdir(config)
    await writeFile(
      join(config, 'settings.json'),
      JSON.stringify({
        'dht-enabled': false,
        'lpd-enabled': false,
        'pex-enabled': false,
        'utp-enabled': false,
        'port-forwarding-enabled': false,
        'peer-port': args.port,
        'bind-address-ipv4': (lan[1] as Iface).address,
        'message-level': 2,
      }),
    )
    return lab.spawn((lan[1] as Iface).ns, 'transmission-cli', [
      '-g',
      config,
      '-w',
      args.dir,
      '-M',
      args.torrent,
    ])
  }

  beforeAll(async () => {
    lab = await createNetnsLab()
    try {
      root = await lab.tempDir()
      await chmod(root, 0o755)
      const [c, t, o] = [await lab.namespace(), await lab.namespace(), await lab.namespace()]
      lan = await lab.lan([c, t, o])
      const cloudy = lan[0] as Iface
      node = await namespacedNode(lab, c, {
        root,
        name: 'node-1',
        cloud: 'interop',
        config: { host: cloudy.address, mdns: false, useRelays: false },
      })
      await node.start()
      const subnet = cloudy.address.replace(/\.\d+$/, '.0/24')
      for (const args of [
        ['service', 'enable', 'tracker', '--option', 'port=0', '--option', `allow=${subnet}`],
        ['service', 'enable', 'torrents'],
      ]) {
        const r = await node.cli(args)
        if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`)
      }
    } catch (err) {
      await lab.dispose()
      throw err
    }
  })

  afterAll(async () => {
    await lab?.dispose()
  })

  it("Transmission downloads a torrent that Cloudy seeds, through Cloudy's tracker, and the file matches", async () => {
    const payload = join(root, 'film.mkv')
    await writeFile(payload, randomBytes(2_500_000))
    const created = await node.json<{ torrentPath: string; announce: string[]; trackers: string[] }>([
      'torrent',
      'create',
      payload,
      '--seed',
    ])
    expect(created.trackers[0]).toMatch(
      new RegExp(`^udp://${(lan[0] as Iface).address.replace(/\./g, '\\.')}:`),
    )
    const out = join(root, 'transmission-out')
    await mkdir(out)
    await chmod(out, 0o777)
    const client = await transmission({ name: 'leech', torrent: created.torrentPath, dir: out, port: 51413 })
    await client.waitFor(/Seeding/, 90_000)
    expect(await sha256(join(out, 'film.mkv'))).toBe(await sha256(payload))
    await client.stop()
  })

  it("Cloudy downloads a torrent that Transmission seeds, through Debian's opentracker", async () => {
    const o = lan[2] as Iface
    const seedDir = join(root, 'transmission-seed')
    await mkdir(seedDir)
    await writeFile(join(seedDir, 'song.ogg'), randomBytes(1_200_000))
    const torrent = join(root, 'song.torrent')
    const made = await run('transmission-create', [
      '-o',
      torrent,
      '-t',
      `http://${o.address}:6969/announce`,
      join(seedDir, 'song.ogg'),
    ])
    expect(made.code, made.stderr).toBe(0)
    const show = await run('transmission-show', [torrent])
    const infoHash = /Hash: ([0-9a-f]{40})/.exec(show.stdout)?.[1] as string
    expect(infoHash).toMatch(/^[0-9a-f]{40}$/)
    // opentracker chroots into its directory and reads the whitelist (a relative path) from there
    const trackerDir = join(root, 'opentracker')
    await mkdir(trackerDir)
    await chmod(trackerDir, 0o755)
    await writeFile(join(trackerDir, 'whitelist.txt'), `${infoHash}\n`, { mode: 0o644 })
    const tracker = lab.spawn(
      o.ns,
      'sh',
      ['-c', `cd "$0" && exec opentracker -i ${o.address} -p 6969 -P 6969 -d . -w whitelist.txt`, trackerDir],
      {},
    )
    await eventually(
      async () => (await lab.exec(o.ns, 'sh', ['-c', 'ss -ltn | grep -q ":6969 "'])).code === 0,
      'opentracker listening',
    )
    const seeder = await transmission({ name: 'seed', torrent, dir: seedDir, port: 51414 })
    await seeder.waitFor(/Seeding/, 30_000)
    const added = await node.cli(['torrent', 'add', torrent])
    expect(added.code, added.stderr).toBe(0)
    await eventually(
      async () => (await findTorrent(node, infoHash))?.status === 'seeding',
      'the download',
      90_000,
    )
    const view = (await findTorrent(node, infoHash)) as TorrentView
    expect(await sha256(join(view.path, 'song.ogg'))).toBe(await sha256(join(seedDir, 'song.ogg')))
    await seeder.stop()
    await tracker.stop()
  })
})

const canMount = process.getuid?.() === 0 && (await run('sh', ['-c', 'command -v unshare'])).code === 0
if (!canMount) console.warn('full-disk test skipped: it needs root and unshare (util-linux)')

describe.skipIf(!canMount)('a full disk', () => {
  let cloud: TestCloud

  afterAll(async () => {
    await cloud?.cleanup()
  })

  it('stops a download with a clear error when the disk fills up, and resumes once there is room', async () => {
    cloud = await createTestCloud(1)
    const seeder = cloud.nodes[0] as TestNode
    for (const args of [
      ['service', 'enable', 'tracker', '--option', 'port=0'],
      ['service', 'enable', 'torrents'],
    ]) {
      expect((await seeder.cli(args)).code).toBe(0)
    }
    const payload = join(cloud.root, 'big.bin')
    await writeFile(payload, randomBytes(3_000_000))
    const created = JSON.parse(
      (await seeder.cli(['torrent', 'create', payload, '--seed', '--json'])).stdout,
    ) as {
      magnet: string
      infoHash: string
    }
    // node-2's torrents folder is a 1 MB tmpfs, mounted in a mount namespace of its daemon's own
    const small = await cloud.addNode({ start: false })
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mkdir -p "$0/torrents" && mount -t tmpfs -o size=1m tmpfs "$0/torrents" && exec "$@"',
        small.dataDir,
        process.execPath,
        CLI,
        'start',
        '--data-dir',
        small.dataDir,
        '--api-port',
        '0',
        '--p2p-port',
        '0',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, CLOUDY_WATCHDOG: '1' } },
    )
    small.proc = child
    child.stdout?.on('data', (d) => (small.log += d))
    child.stderr?.on('data', (d) => (small.log += d))
    await eventually(async () => {
      const daemon = JSON.parse(await readFile(join(small.dataDir, 'daemon.json'), 'utf8')) as {
        apiUrl: string
        pid: number
      }
      small.apiUrl = daemon.apiUrl
      small.token = (await readFile(join(small.dataDir, 'cli-token'), 'utf8')).trim()
      return daemon.pid === child.pid
    }, 'node-2 started')
    expect((await small.cli(['service', 'enable', 'torrents'])).code).toBe(0)
    expect((await small.cli(['torrent', 'add', created.magnet])).code).toBe(0)
    await eventually(
      async () => (await findTorrent(small, created.infoHash))?.status === 'error',
      'the download stops',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nnode-2 log:\n${small.log.slice(-3000)}`)
    })
    const view = (await findTorrent(small, created.infoHash)) as TorrentView
    expect(view.error).toMatch(/the disk is full/)
    const ls = await small.cli(['torrent', 'ls'])
    expect(ls.stdout).toContain('error: the disk is full')
    // room again: the tmpfs grows, inside the daemon's mount namespace
    const grown = await run('nsenter', [
      '-t',
      String(child.pid),
      '-m',
      'mount',
      '-o',
      'remount,size=16m',
      join(small.dataDir, 'torrents'),
    ])
    expect(grown.code, grown.stderr).toBe(0)
    expect((await small.cli(['torrent', 'resume', created.infoHash])).code).toBe(0)
    await eventually(
      async () => (await findTorrent(small, created.infoHash))?.status === 'seeding',
      'the download',
    )
  })
})
