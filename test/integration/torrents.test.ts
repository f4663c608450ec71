import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceView } from '../../src/catalogue/types.ts'
import type { BuiltinServiceView } from '../../src/node/types.ts'
import type { TorrentView, TrackerStatsView } from '../../src/torrents/views.ts'
import { createTestCloud, eventually, type TestCloud, type TestNode } from '../helpers/test-cloud.ts'

// Two node processes: node-1 runs the tracker and seeds, node-2 downloads, all through the CLI.

let cloud: TestCloud
let seeder: TestNode
let leecher: TestNode
let payload: string
let magnet = ''
let infoHash = ''

const torrentsOf = async (node: TestNode) => node.api<TorrentView[]>('GET', '/torrents')
const one = async (node: TestNode) => (await torrentsOf(node)).find((t) => t.infoHash === infoHash)

beforeAll(async () => {
  cloud = await createTestCloud(2)
  ;[seeder, leecher] = cloud.nodes as [TestNode, TestNode]
  payload = join(cloud.root, 'film.bin')
  await writeFile(payload, randomBytes(3 * 1024 * 1024 + 12345))
})

afterAll(async () => {
  await cloud?.cleanup()
})

describe('the tracker and torrents services', () => {
  it('refuses torrent commands while the service is disabled, with a hint', async () => {
    const r = await seeder.cli(['torrent', 'ls'])
    expect(r.code).toBe(10)
    expect(r.stderr).toContain('cloudy service enable torrents')
  })

  it('enables the tracker on a free port and publishes it in the catalogue of every member', async () => {
    const r = await seeder.cli(['service', 'enable', 'tracker', '--option', 'port=0'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/tracker is enabled and running on port \d+/)
    const services = await seeder.api<BuiltinServiceView[]>('GET', '/builtin-services')
    const port = services.find((s) => s.name === 'tracker')?.port
    expect(port).toBeGreaterThan(0)
    await eventually(
      async () =>
        (await leecher.api<ServiceView[]>('GET', '/services?type=bittorrent-tracker')).some(
          (s) => s.port === port && s.nodeName === 'node-1',
        ),
      'the tracker in node-2 catalogue',
    )
    for (const node of [seeder, leecher]) {
      const enabled = await node.cli(['service', 'enable', 'torrents'])
      expect(enabled.code, enabled.stderr).toBe(0)
    }
  })

  it("creates a torrent announcing to the cloud's tracker and seeds it", async () => {
    const r = await seeder.cli(['torrent', 'create', payload, '--seed'])
    expect(r.code, r.stderr).toBe(0)
    const [torrentPath, link] = r.stdout.trim().split('\n')
    expect((await stat(torrentPath as string)).size).toBeGreaterThan(0)
    expect(link).toMatch(/^magnet:\?xt=urn:btih:[0-9a-f]{40}&dn=film.bin&tr=udp/)
    magnet = link as string
    infoHash = /btih:([0-9a-f]{40})/.exec(magnet)?.[1] as string
    const view = await one(seeder)
    expect(view?.status).toBe('seeding')
    expect(view?.seedingLocal).toBe(true)
  })

  it('downloads it on another member by magnet link, and the file matches', async () => {
    const r = await leecher.cli(['torrent', 'add', magnet])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`added ${infoHash.slice(0, 8)}`)
    await eventually(async () => (await one(leecher))?.status === 'seeding', 'the download completes', 60_000)
    const view = (await one(leecher)) as TorrentView
    expect(view.progress).toBe(1)
    expect(await readFile(join(view.path, 'film.bin'))).toEqual(await readFile(payload))
    const ls = await leecher.cli(['torrent', 'ls'])
    expect(ls.stdout).toMatch(new RegExp(`${infoHash.slice(0, 8)} +film.bin +seeding +100.0%`))
    const events = await leecher.api<{ event: string }[]>('GET', '/events/recent')
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['torrent:added', 'torrent:downloaded']),
    )
  })

  it('shows the swarm in the tracker statistics', async () => {
    await eventually(async () => {
      const stats = await seeder.api<TrackerStatsView>('GET', '/tracker')
      const swarm = stats.swarms.find((s) => s.infoHash === infoHash)
      return swarm !== undefined && swarm.seeders === 2 && swarm.completed >= 1
    }, 'two seeders at the tracker')
    const r = await seeder.cli(['torrent', 'tracker'])
    expect(r.stdout).toContain('cloud members only')
  })

  it('pauses and resumes a torrent', async () => {
    const paused = await leecher.cli(['torrent', 'pause', infoHash.slice(0, 6)])
    expect(paused.stdout).toContain('paused')
    expect((await one(leecher))?.peers).toBe(0)
    const resumed = await leecher.cli(['torrent', 'resume', infoHash.slice(0, 6)])
    expect(resumed.code, resumed.stderr).toBe(0)
    await eventually(async () => (await one(leecher))?.status === 'seeding', 'seeding again')
  })

  it('resumes after a restart from the data on disk, without downloading it again', async () => {
    // the only other copy stops: the leecher must find every piece on its disk
    await seeder.cli(['torrent', 'pause', infoHash])
    await leecher.stop()
    await leecher.start()
    await eventually(async () => (await one(leecher))?.status === 'seeding', 'seeding after the restart')
    expect((await one(leecher))?.downloaded).toBe((await stat(payload)).size)
    await seeder.cli(['torrent', 'resume', infoHash])
  })

  it('refuses corrupt .torrent files and bad magnet links with clear errors', async () => {
    const corrupt = join(cloud.root, 'corrupt.torrent')
    await writeFile(corrupt, 'd8:announce3:abc4:infod4:name1:aee')
    const r1 = await leecher.cli(['torrent', 'add', corrupt])
    expect(r1.code).toBe(2)
    expect(r1.stderr).toContain('not a valid .torrent file')
    const r2 = await leecher.cli(['torrent', 'add', 'magnet:?dn=nothing'])
    expect(r2.code).toBe(2)
    expect(r2.stderr).toContain('magnet')
    const r3 = await leecher.cli(['torrent', 'add', magnet])
    expect(r3.code).toBe(6)
    expect(r3.stderr).toContain('already on this node')
  })

  it('removes a torrent with its data', async () => {
    const view = (await one(leecher)) as TorrentView
    const r = await leecher.cli(['torrent', 'rm', infoHash.slice(0, 8), '--delete-data'])
    expect(r.code, r.stderr).toBe(0)
    expect(await one(leecher)).toBeUndefined()
    await expect(stat(view.path)).rejects.toThrow()
    // the seeder's own file is never deleted
    const refused = await seeder.cli(['torrent', 'rm', infoHash, '--delete-data'])
    expect(refused.code).toBe(6)
    expect((await stat(payload)).isFile()).toBe(true)
  })

  it('stops the tracker when disabled and withdraws it from the catalogue', async () => {
    const r = await seeder.cli(['service', 'disable', 'tracker'])
    expect(r.code, r.stderr).toBe(0)
    await eventually(
      async () => (await leecher.api<ServiceView[]>('GET', '/services?type=bittorrent-tracker')).length === 0,
      'the tracker gone from node-2 catalogue',
    )
    const stats = await seeder.cli(['torrent', 'tracker'])
    expect(stats.code).toBe(10)
  })
})
