import { describe, expect, it } from 'vitest'
import { compactAddress, SwarmStore } from '../../../src/torrents/tracker/swarm-store.ts'
import { createUdpHandler } from '../../../src/torrents/tracker/udp-adapter.ts'

const hash = (c: string) => c.repeat(20)
const peerId = (c: string) => c.repeat(20)
const ann = (over: Partial<Parameters<SwarmStore['announce']>[0]>) => ({
  infoHash: hash('a'),
  peerId: peerId('1'),
  ip: '10.0.0.1',
  port: 6881,
  left: 100,
  event: 'started' as const,
  numWant: 50,
  ...over,
})

describe('the swarm store', () => {
  it('hands each peer the others of its address family, compact, and counts seeders, leechers, completions', () => {
    const store = new SwarmStore({ peerTtlMs: 60_000 })
    store.announce(ann({ peerId: peerId('1'), left: 0, event: 'completed' }), 0)
    store.announce(ann({ peerId: peerId('2'), ip: 'fd00::2' }), 0)
    const answer = store.announce(ann({ peerId: peerId('3'), ip: '10.0.0.3', port: 7000 }), 0)
    expect(answer).toMatchObject({ seeders: 1, leechers: 2, entryLength: 6 })
    expect(answer.peers).toEqual(compactAddress('10.0.0.1', 6881))
    expect(store.announce(ann({ peerId: peerId('2'), ip: 'fd00::2' }), 0).peers).toEqual(Buffer.alloc(0))
    // completing twice counts once
    store.announce(ann({ peerId: peerId('3'), ip: '10.0.0.3', port: 7000, left: 0, event: 'completed' }), 0)
    store.announce(ann({ peerId: peerId('3'), ip: '10.0.0.3', port: 7000, left: 0, event: 'completed' }), 0)
    expect(store.scrape(hash('a'))).toEqual({ seeders: 2, leechers: 1, completed: 2 })
  })

  it('forgets a peer that stopped, and one silent for longer than the TTL', () => {
    const store = new SwarmStore({ peerTtlMs: 60_000 })
    store.announce(ann({ peerId: peerId('1') }), 0)
    store.announce(ann({ peerId: peerId('2') }), 50_000)
    store.announce(ann({ peerId: peerId('3') }), 50_000)
    store.announce(ann({ peerId: peerId('3'), event: 'stopped' }), 50_000)
    store.prune(70_000)
    expect(store.scrape(hash('a'))).toEqual({ seeders: 0, leechers: 1, completed: 0 })
    store.prune(200_000)
    expect(store.swarms()).toEqual([])
  })

  it('encodes IPv4 and IPv6 compact addresses', () => {
    expect(compactAddress('1.2.3.4', 258)).toEqual(Buffer.from([1, 2, 3, 4, 1, 2]))
    expect(compactAddress('::1', 1)?.toString('hex')).toBe(`${'0'.repeat(31)}10001`)
    expect(compactAddress('300.1.1.1', 1)).toBeUndefined()
  })
})

describe('the UDP adapter', () => {
  it('accepts a connection id for two minutes from the address it was given to, and no other', () => {
    let now = 0
    const udp = createUdpHandler(
      { intervalS: 60 },
      { store: new SwarmStore({ peerTtlMs: 1e6 }), clock: () => now },
    )
    const from = { address: '10.0.0.1', port: 5000, family: 'IPv4' as const, size: 0 }
    const connect = Buffer.alloc(16)
    connect.writeBigUInt64BE(0x41727101980n, 0)
    connect.writeUInt32BE(7, 12)
    const reply = udp.handle(connect, from) as Buffer
    const announce = Buffer.alloc(98)
    reply.copy(announce, 0, 8, 16)
    announce.writeUInt32BE(1, 8)
    announce.fill(1, 16, 56)
    announce.writeUInt16BE(6881, 96)
    expect(udp.handle(announce, from)?.readUInt32BE(0)).toBe(1)
    expect(udp.handle(announce, { ...from, port: 5001 })?.readUInt32BE(0)).toBe(3)
    now = 119_000
    expect(udp.handle(announce, from)?.readUInt32BE(0)).toBe(1)
    now = 180_000
    const expired = udp.handle(announce, from) as Buffer
    expect(expired.readUInt32BE(0)).toBe(3)
    expect(expired.subarray(8).toString()).toContain('connect again')
  })
})
