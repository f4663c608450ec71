import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pino } from 'pino'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  announceableAddresses,
  dialablePeers,
  type LanDiscovery,
  startLanDiscovery,
} from '../../../src/net/lan-discovery.ts'
import {
  type AnnouncedPeer,
  decodeAnnouncements,
  discoveryQuery,
  encodeAnnouncement,
  lanServiceName,
  type MdnsAnswer,
  type MdnsPacket,
  type MdnsQuery,
} from '../../../src/net/lan-discovery-records.ts'
import { type LanInterface, lanScope } from '../../../src/net/lan-interface.ts'
import type { LanMdnsSocket, LanMdnsSocketEvents } from '../../../src/net/lan-mdns-socket.ts'
import { TypedEmitter } from '../../../src/util/typed-emitter.ts'

const SERVICE = lanServiceName('0123abcd4567ef89')
const LAN: LanInterface = {
  name: 'lan0',
  address: '10.1.2.3',
  addresses: ['10.1.2.3', '2001:db8:1::3'],
  cidrs: ['10.1.2.3/24', '2001:db8:1::3/64'],
}
const scope = lanScope(LAN)
const newPeerId = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

/** A LanMdnsSocket that records what it sends and lets the test deliver packets. */
function fakeSocket() {
  const events = new TypedEmitter<LanMdnsSocketEvents>()
  const sent: (MdnsQuery | MdnsAnswer)[] = []
  const state = { closed: false, failSends: false }
  const socket: LanMdnsSocket = {
    events,
    send(packet) {
      if (state.failSends) return Promise.reject(new Error('send ENETUNREACH'))
      sent.push(packet)
      return Promise.resolve()
    },
    async close() {
      state.closed = true
    },
  }
  return {
    socket,
    sent,
    state,
    queries: () => sent.filter((p) => p.type === 'query'),
    answers: () => sent.filter((p): p is MdnsAnswer => p.type === 'response'),
    ready: () => events.emit('socket:ready', {}),
    deliver: (kind: 'query' | 'response', packet: MdnsPacket, from: string) =>
      events.emit('packet:received', { kind, packet, from }),
  }
}

/** What the node on the far side of the LAN sends, as this node receives it (TXT strings as Buffers). */
function received(packet: MdnsAnswer | MdnsQuery): MdnsPacket {
  const answers = 'answers' in packet ? (packet.answers ?? []) : []
  return {
    type: packet.type,
    questions: 'questions' in packet ? packet.questions : [],
    answers: answers.map((a) =>
      a.type === 'TXT' ? { ...a, data: (a.data as string[]).map((s) => Buffer.from(s)) } : a,
    ),
    additionals: [],
    authorities: [],
  } as unknown as MdnsPacket
}

describe('LAN discovery address filters', () => {
  let self: string
  let peer: string
  beforeAll(async () => {
    self = await newPeerId()
    peer = await newPeerId()
  })

  it("announces only this node's direct addresses on the interface", () => {
    const onLan = `/ip4/10.1.2.3/tcp/7001/p2p/${self}`
    const onLan6 = `/ip6/2001:db8:1::3/tcp/7001/p2p/${self}`
    const addrs = [
      onLan,
      `/ip4/127.0.0.1/tcp/7001/p2p/${self}`,
      `/ip4/203.0.113.7/tcp/7001/p2p/${self}`,
      `/ip4/10.1.2.4/tcp/7001/p2p/${self}`, // in the subnet, but not ours
      `/ip4/10.1.2.9/tcp/7001/p2p/${peer}/p2p-circuit/p2p/${self}`,
      onLan6,
    ]
    expect(announceableAddresses(addrs, scope)).toEqual([onLan, onLan6])
  })

  it('keeps announced peers other than this node, with their addresses inside the LAN only', async () => {
    const packet = encodeAnnouncement(SERVICE, peer, [
      `/ip4/10.1.2.7/tcp/7001/p2p/${peer}`,
      `/ip4/127.0.0.1/tcp/7001/p2p/${peer}`,
      `/ip4/192.0.2.7/tcp/7001/p2p/${peer}`,
    ]) as MdnsAnswer
    const selfPacket = encodeAnnouncement(SERVICE, self, [`/ip4/10.1.2.3/tcp/7001/p2p/${self}`]) as MdnsAnswer
    const announced = [
      ...decodeAnnouncements(received(packet), SERVICE),
      ...decodeAnnouncements(received(selfPacket), SERVICE),
    ]
    const dialable = dialablePeers(announced, self, scope)
    expect(dialable.map((p) => ({ peer: p.peer, addrs: p.addrs.map(String) }))).toEqual([
      { peer, addrs: [`/ip4/10.1.2.7/tcp/7001/p2p/${peer}`] },
    ])
    // a peer whose every address lies outside the LAN is dropped
    const outside = encodeAnnouncement(SERVICE, peer, [`/ip4/192.0.2.7/tcp/7001/p2p/${peer}`]) as MdnsAnswer
    expect(dialablePeers(decodeAnnouncements(received(outside), SERVICE), self, scope)).toEqual([])
  })
})

describe('LAN discovery', () => {
  let self: string
  let peer: string
  let lines: string[]
  let found: AnnouncedPeer[]
  let now: number
  let running: LanDiscovery | undefined
  let addresses: string[]

  beforeAll(async () => {
    self = await newPeerId()
    peer = await newPeerId()
  })
  beforeEach(() => {
    lines = []
    found = []
    now = 1_000_000
    addresses = [`/ip4/10.1.2.3/tcp/7001/p2p/${self}`, `/ip4/127.0.0.1/tcp/7001/p2p/${self}`]
  })
  afterEach(async () => {
    await running?.stop()
    running = undefined
    vi.useRealTimers()
  })

  const start = (socket: LanMdnsSocket, onPeer: (p: AnnouncedPeer) => void = (p) => found.push(p)) => {
    running = startLanDiscovery(
      { serviceName: SERVICE, peerId: self, lan: LAN, intervalMs: 10_000 },
      {
        logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }),
        socket,
        addresses: () => addresses,
        onPeer,
        clock: () => now,
      },
    )
    return running
  }
  const logged = (level: number, msg: string) =>
    lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === level && l.msg === msg)

  it('queries and announces itself once the socket is ready, then queries every interval', () => {
    vi.useFakeTimers()
    const s = fakeSocket()
    start(s.socket)
    expect(s.sent).toEqual([])
    s.ready()
    expect(s.queries()).toEqual([discoveryQuery(SERVICE)])
    expect(s.answers()).toEqual([encodeAnnouncement(SERVICE, self, [`/ip4/10.1.2.3/tcp/7001/p2p/${self}`])])
    vi.advanceTimersByTime(25_000)
    expect(s.queries()).toHaveLength(3)
  })

  it('answers queries for its service name from the LAN, at most once a second', () => {
    const s = fakeSocket()
    start(s.socket)
    s.ready()
    now += 5000
    const q = received(discoveryQuery(SERVICE))
    s.deliver('query', q, '10.1.2.7')
    s.deliver('query', q, '10.1.2.8')
    expect(s.answers()).toHaveLength(2) // the one at start and the first of these
    now += 1000
    s.deliver('query', q, '10.1.2.8')
    expect(s.answers()).toHaveLength(3)
    const txt = ((s.answers()[2] as MdnsAnswer).answers[1] as { data: unknown }).data
    expect(txt).toEqual(['v=1', `dnsaddr=/ip4/10.1.2.3/tcp/7001/p2p/${self}`])
  })

  it("ignores queries for another cloud's name and packets from outside the interface's subnets", () => {
    const s = fakeSocket()
    start(s.socket)
    s.ready()
    now += 5000
    s.deliver('query', received(discoveryQuery(lanServiceName('ffffffff00000000'))), '10.1.2.7')
    s.deliver('query', received(discoveryQuery(SERVICE)), '203.0.113.9')
    const answer = encodeAnnouncement(SERVICE, peer, [`/ip4/10.1.2.7/tcp/7001/p2p/${peer}`]) as MdnsAnswer
    s.deliver('response', received(answer), '203.0.113.9')
    expect(s.answers()).toHaveLength(1)
    expect(found).toEqual([])
  })

  it('does not answer while it has no address on the interface', () => {
    addresses = [`/ip4/127.0.0.1/tcp/7001/p2p/${self}`]
    const s = fakeSocket()
    start(s.socket)
    s.ready()
    expect(s.queries()).toHaveLength(1)
    expect(s.answers()).toEqual([])
  })

  it('hands each member found on the LAN to onPeer, never itself, and logs it at debug', () => {
    const s = fakeSocket()
    start(s.socket)
    s.ready()
    const answer = encodeAnnouncement(SERVICE, peer, [
      `/ip4/10.1.2.7/tcp/7001/p2p/${peer}`,
      `/ip4/127.0.0.1/tcp/7001/p2p/${peer}`,
    ]) as MdnsAnswer
    s.deliver('response', received(answer), '10.1.2.7')
    // its own answer comes back through multicast loopback
    s.deliver('response', received(s.answers()[0] as MdnsAnswer), '10.1.2.3')
    expect(found.map((p) => ({ peer: p.peer, addrs: p.addrs.map(String) }))).toEqual([
      { peer, addrs: [`/ip4/10.1.2.7/tcp/7001/p2p/${peer}`] },
    ])
    expect(logged(20, 'found a member on the LAN by mDNS')).toHaveLength(1)
  })

  it('survives a throwing peer handler', () => {
    const s = fakeSocket()
    start(s.socket, () => {
      throw new Error('boom')
    })
    s.ready()
    const answer = encodeAnnouncement(SERVICE, peer, [`/ip4/10.1.2.7/tcp/7001/p2p/${peer}`]) as MdnsAnswer
    expect(() => s.deliver('response', received(answer), '10.1.2.7')).not.toThrow()
    expect(logged(50, 'LAN discovery peer handler threw')).toHaveLength(1)
  })

  it('logs socket errors at warn once per kind, repeats at debug, and keeps going', async () => {
    vi.useFakeTimers()
    const s = fakeSocket()
    start(s.socket)
    const err = Object.assign(new Error('addMembership ENODEV'), { code: 'ENODEV' })
    s.socket.events.emit('socket:failed', { err, fatal: false })
    s.socket.events.emit('socket:failed', { err, fatal: false })
    expect(logged(40, 'mDNS socket error')).toHaveLength(1)
    expect(logged(20, 'mDNS socket error')).toHaveLength(1)
    s.socket.events.emit('packet:dropped', { err: new Error('Cannot decode name') })
    expect(logged(20, 'ignored an undecodable mDNS datagram')).toHaveLength(1)

    s.state.failSends = true
    s.ready()
    await vi.advanceTimersByTimeAsync(20_000)
    expect(logged(40, 'could not send an mDNS query on the LAN')).toHaveLength(1)
    expect(logged(20, 'could not send an mDNS query on the LAN')).toHaveLength(2)
    // once sending works again, the next failure is worth a warning again
    s.state.failSends = false
    await vi.advanceTimersByTimeAsync(10_000)
    s.state.failSends = true
    await vi.advanceTimersByTimeAsync(10_000)
    expect(logged(40, 'could not send an mDNS query on the LAN')).toHaveLength(2)
  })

  it('stops querying and closes the socket on stop', async () => {
    vi.useFakeTimers()
    const s = fakeSocket()
    const discovery = start(s.socket)
    s.ready()
    await discovery.stop()
    expect(s.state.closed).toBe(true)
    vi.advanceTimersByTime(30_000)
    s.deliver('query', received(discoveryQuery(SERVICE)), '10.1.2.7')
    expect(s.queries()).toHaveLength(1)
    expect(s.answers()).toHaveLength(1)
  })
})
