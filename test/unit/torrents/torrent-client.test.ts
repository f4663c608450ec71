import { randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import parseTorrent from 'parse-torrent'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebTorrent from 'webtorrent'
import { startTorrentClient, type TorrentClient } from '../../../src/torrents/client/torrent-client.ts'
import { createAccessPolicy } from '../../../src/torrents/tracker/access-policy.ts'
import { startTracker, type Tracker } from '../../../src/torrents/tracker/tracker.ts'
import type { TorrentLimits, TorrentView } from '../../../src/torrents/views.ts'
import { silentLogger } from '../../../src/util/logger.ts'
import { eventually } from '../../helpers/test-cloud.ts'

let root: string
let tracker: Tracker
let file: string
const running: { stop(): Promise<void> }[] = []
const NO_LIMITS: TorrentLimits = { downloadLimit: null, uploadLimit: null, ratioLimit: null }

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cloudy-torrents-'))
  tracker = await startTracker(
    { host: '127.0.0.1', port: 0, advertiseHost: '127.0.0.1', intervalS: 60 },
    {
      logger: silentLogger(),
      access: createAccessPolicy({ open: false, allow: [] }, { memberAddresses: () => [] }),
    },
  )
  file = join(root, 'payload.bin')
  await writeFile(file, randomBytes(2 * 1024 * 1024 + 777))
})

afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop()
})

afterAll(async () => {
  await tracker?.stop()
  await rm(root, { recursive: true, force: true })
})

async function client(
  name: string,
  options: { limits?: typeof NO_LIMITS; log?: string[] } = {},
): Promise<TorrentClient & { events: string[] }> {
  const events: string[] = []
  const log = options.log
  const logger = log
    ? pino(
        { level: 'warn' },
        new Writable({
          write(chunk, _enc, cb) {
            log.push(String(chunk))
            cb()
          },
        }),
      )
    : silentLogger()
  const c = await startTorrentClient(
    { dir: join(root, name), port: 0, limits: options.limits ?? NO_LIMITS, createdBy: 'Cloudy/test' },
    { logger, emit: (event) => events.push(event), cloudTrackers: () => [tracker.announce] },
  )
  running.push(c)
  return Object.assign(c, { events })
}

const statusOf = (c: TorrentClient, infoHash: string): TorrentView['status'] | undefined =>
  c.list().find((t) => t.infoHash === infoHash)?.status

describe('the torrent client', () => {
  it('seeds a created torrent that another client downloads by magnet link, hash-checked', async () => {
    const a = await client('a1')
    const b = await client('b1')
    const created = await a.create({ path: file, seed: true })
    expect(created.trackers).toEqual(tracker.announce)
    expect(created.seeding).toBe(true)
    const added = await b.add({ magnet: created.magnet })
    expect(['metadata', 'checking', 'downloading']).toContain(added.status)
    await eventually(() => statusOf(b, created.infoHash) === 'seeding', 'the download')
    const view = b.get(created.infoHash)
    expect(await readFile(join(view.path, 'payload.bin'))).toEqual(await readFile(file))
    expect(view).toMatchObject({ progress: 1, length: 2 * 1024 * 1024 + 777, name: 'payload.bin' })
    expect(b.events).toEqual(['torrent:added', 'torrent:downloaded'])
    expect((await parseTorrent((await b.torrentFile(created.infoHash)).data)).infoHash).toBe(created.infoHash)
  })

  it('resumes after a restart from its disk alone, and keeps paused torrents paused', async () => {
    const a = await client('a2')
    const created = await a.create({ path: file, seed: true })
    const b = await client('b2')
    await b.add({ magnet: created.magnet })
    await eventually(() => statusOf(b, created.infoHash) === 'seeding', 'the download')
    const other = await b.add({ magnet: `magnet:?xt=urn:btih:${'ab'.repeat(20)}`, paused: true })
    await a.stop()
    await b.stop()
    running.length = 0
    const again = await client('b2')
    await eventually(() => statusOf(again, created.infoHash) === 'seeding', 'seeding from disk')
    expect(again.get(created.infoHash).downloaded).toBe(2 * 1024 * 1024 + 777)
    expect(statusOf(again, other.infoHash)).toBe('paused')
  })

  it('stops seeding at the ratio limit', async () => {
    const a = await client('a3', { limits: { ...NO_LIMITS, ratioLimit: 0.5 } })
    const created = await a.create({ path: file, seed: true })
    const b = await client('b3')
    await b.add({ magnet: created.magnet })
    await eventually(() => statusOf(a, created.infoHash) === 'paused', 'the seeder pauses at ratio 0.5')
    expect(a.events).toContain('torrent:paused')
  })

  it('drops a peer that sends bad pieces and downloads them again from a good one', async () => {
    const good = await client('good')
    const created = await good.create({ path: file, seed: true, pieceLength: 64 * 1024 })
    await good.pause(created.infoHash)
    // a liar: the same torrent over a corrupted copy, announced as complete
    const liarDir = join(root, 'liar')
    await rm(liarDir, { recursive: true, force: true })
    await import('node:fs/promises').then((fs) => fs.mkdir(liarDir))
    await copyFile(file, join(liarDir, 'payload.bin'))
    const bytes = await readFile(join(liarDir, 'payload.bin'))
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (bytes[i] as number) ^ 0xff
    await writeFile(join(liarDir, 'payload.bin'), bytes)
    const liar = new WebTorrent({
      dht: false,
      lsd: false,
      utPex: false,
      utp: false,
      natUpnp: false,
      natPmp: false,
    })
    running.push({ stop: () => new Promise<void>((r) => liar.destroy(() => r())) })
    liar.add(await readFile(created.torrentPath), {
      path: liarDir,
      skipVerify: true,
      announce: tracker.announce,
    })

    const log: string[] = []
    const victim = await client('victim', { log })
    await victim.add({ magnet: created.magnet })
    await eventually(
      () => log.some((l) => l.includes('dropped a peer that sent a bad piece')),
      'the liar dropped',
    )
    await good.resume(created.infoHash)
    await eventually(
      () => statusOf(victim, created.infoHash) === 'seeding',
      'the download from the good seeder',
    )
    expect(await readFile(join(victim.get(created.infoHash).path, 'payload.bin'))).toEqual(
      await readFile(file),
    )
  })

  it('refuses what it cannot use, with INVALID_INPUT, CONFLICT or NOT_FOUND', async () => {
    const c = await client('errors')
    await expect(c.add({ magnet: 'magnet:?xt=urn:btih:nothex' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(c.add({ torrent: Buffer.from('not bencode') })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('not a .torrent file'),
    })
    await expect(c.add({ torrent: Buffer.from('d4:infod4:name1:aee') })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(c.add({ seedPath: join(root, 'missing') })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(c.add({ seedPath: 'relative/path' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(c.pause('0'.repeat(40))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(c.pause('xyz')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const created = await c.create({ path: file, seed: true })
    await expect(c.add({ magnet: created.magnet })).rejects.toMatchObject({ code: 'CONFLICT' })
    await expect(c.remove(created.infoHash, { deleteData: true })).rejects.toMatchObject({ code: 'CONFLICT' })
  })
})
