import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createAccessPolicy } from '../../../src/torrents/tracker/access-policy.ts'
import { startTracker, type Tracker } from '../../../src/torrents/tracker/tracker.ts'
import { silentLogger } from '../../../src/util/logger.ts'
import { UdpTrackerClient } from '../../helpers/udp-tracker.ts'

let tracker: Tracker | undefined
const clients: UdpTrackerClient[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await tracker?.stop()
  tracker = undefined
})

async function start(access: { open?: boolean; allow?: string[]; loopback?: boolean; members?: string[] }) {
  tracker = await startTracker(
    { host: '127.0.0.1', port: 0, advertiseHost: '127.0.0.1', intervalS: 60 },
    {
      logger: silentLogger(),
      access: createAccessPolicy(
        { open: access.open ?? false, allow: access.allow ?? [], loopback: access.loopback ?? true },
        { memberAddresses: () => access.members ?? [] },
      ),
    },
  )
  return tracker
}

const udpClient = (t: Tracker) => {
  const c = new UdpTrackerClient('127.0.0.1', t.port)
  clients.push(c)
  return c
}

describe('the tracker', () => {
  it('answers UDP announces (BEP 15) with the other peers and counts seeders and leechers', async () => {
    const t = await start({})
    const infoHash = randomBytes(20)
    const seed = await udpClient(t).announce({
      infoHash,
      peerId: randomBytes(20),
      port: 6001,
      event: 1,
      left: 0n,
    })
    expect(seed).toMatchObject({ action: 'announce', interval: 60, seeders: 1 })
    const leech = await udpClient(t).announce({ infoHash, peerId: randomBytes(20), port: 6002, event: 2 })
    expect(leech).toMatchObject({
      action: 'announce',
      seeders: 1,
      leechers: 1,
      peers: expect.arrayContaining(['127.0.0.1:6001']),
    })
    const scrape = await udpClient(t).scrape([infoHash])
    expect(scrape).toEqual({ action: 'scrape', files: [{ seeders: 1, completed: 1, leechers: 1 }] })
    const stats = t.stats()
    expect(stats).toMatchObject({
      torrents: 1,
      seeders: 1,
      leechers: 1,
      completed: 1,
      announces: 2,
      scrapes: 1,
    })
    expect(stats.announce).toEqual([`udp://127.0.0.1:${t.port}`, `http://127.0.0.1:${t.port}/announce`])
  })

  it('answers HTTP announces (BEP 3, 23) and scrapes (BEP 48) on the same port', async () => {
    const t = await start({})
    const infoHash = randomBytes(20)
    const q = (h: Buffer) => [...h].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
    const res = await fetch(
      `http://127.0.0.1:${t.port}/announce?info_hash=${q(infoHash)}&peer_id=${q(randomBytes(20))}&port=7000&uploaded=0&downloaded=0&left=0&compact=1&event=completed`,
    )
    const body = Buffer.from(await res.arrayBuffer()).toString('latin1')
    expect(body).toContain('8:completei1e')
    const scrape = Buffer.from(
      await (await fetch(`http://127.0.0.1:${t.port}/scrape?info_hash=${q(infoHash)}`)).arrayBuffer(),
    ).toString('latin1')
    expect(scrape).toContain('8:completei1e')
  })

  it('refuses peers from outside the cloud, over UDP and HTTP, and lets members and allowed networks in', async () => {
    const outsider = await start({ loopback: false, members: ['10.9.9.9'] })
    const reply = await udpClient(outsider).announce({
      infoHash: randomBytes(20),
      peerId: randomBytes(20),
      port: 1,
    })
    expect(reply).toEqual({ action: 'error', message: 'this tracker serves the members of its cloud only' })
    const res = await fetch(`http://127.0.0.1:${outsider.port}/announce?info_hash=x`)
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('members of its cloud only')
    expect(outsider.stats()).toMatchObject({ refused: 2, announces: 0, access: 'cloud' })
    await outsider.stop()

    const member = await start({ loopback: false, members: ['127.0.0.1'] })
    const ok = await udpClient(member).announce({
      infoHash: randomBytes(20),
      peerId: randomBytes(20),
      port: 1,
    })
    expect(ok.action).toBe('announce')
    await member.stop()

    const allowed = await start({ loopback: false, allow: ['127.0.0.0/8'] })
    expect(
      (await udpClient(allowed).announce({ infoHash: randomBytes(20), peerId: randomBytes(20), port: 1 }))
        .action,
    ).toBe('announce')
    await allowed.stop()
    tracker = undefined
  })

  it('says which port is taken when it cannot listen', async () => {
    const first = await start({})
    await expect(
      startTracker(
        { host: '127.0.0.1', port: first.port, advertiseHost: '127.0.0.1', intervalS: 60 },
        {
          logger: silentLogger(),
          access: createAccessPolicy({ open: true, allow: [] }, { memberAddresses: () => [] }),
        },
      ),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`:${first.port}`) })
  })
})
