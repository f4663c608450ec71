import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  asksFor,
  decodeAnnouncements,
  discoveryQuery,
  encodeAnnouncement,
  lanServiceName,
  MAX_ADDRS_PER_PEER,
  MAX_PEERS_PER_PACKET,
  type MdnsAnswer,
  type MdnsPacket,
} from '../../../src/net/lan-discovery-records.ts'

const SERVICE = lanServiceName('0123abcd4567ef89')
const OTHER_SERVICE = lanServiceName('ffffeeee00001111')

const newPeerId = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

/** What multicast-dns hands over after dns-packet decoded the datagram: TXT strings as Buffers. */
function asReceived(packet: MdnsAnswer): MdnsPacket {
  return {
    type: 'response',
    questions: [],
    answers: packet.answers.map((a) =>
      a.type === 'TXT' ? { ...a, data: (a.data as string[]).map((s) => Buffer.from(s)) } : a,
    ),
    additionals: [],
    authorities: [],
  } as unknown as MdnsPacket
}

describe('LAN discovery records', () => {
  let peer: string
  let other: string
  beforeAll(async () => {
    peer = await newPeerId()
    other = await newPeerId()
  })

  it('names the service after the first 8 hex digits of the key fingerprint', () => {
    expect(lanServiceName('0123ABCD4567ef89')).toBe('_cloudy-0123abcd._udp.local')
  })

  it('queries PTR for the service name', () => {
    expect(discoveryQuery(SERVICE)).toEqual({
      type: 'query',
      questions: [{ name: SERVICE, type: 'PTR', class: 'IN' }],
    })
  })

  it('recognises queries for its own service name only', () => {
    const q = (name: string, type: string) => ({ questions: [{ name, type }] }) as unknown as MdnsPacket
    expect(asksFor(q(SERVICE, 'PTR'), SERVICE)).toBe(true)
    expect(asksFor(q(SERVICE.toUpperCase(), 'ANY'), SERVICE)).toBe(true)
    expect(asksFor(q(SERVICE, 'A'), SERVICE)).toBe(false)
    expect(asksFor(q(OTHER_SERVICE, 'PTR'), SERVICE)).toBe(false)
    expect(asksFor({} as MdnsPacket, SERVICE)).toBe(false)
  })

  it('encodes a PTR and a versioned TXT record with one dnsaddr per address', () => {
    const addrs = [`/ip4/10.1.2.3/tcp/7001/p2p/${peer}`, `/ip6/2001:db8::3/tcp/7001/p2p/${peer}`]
    expect(encodeAnnouncement(SERVICE, peer, addrs)).toEqual({
      type: 'response',
      answers: [
        { name: SERVICE, type: 'PTR', class: 'IN', ttl: 120, data: `${peer}.${SERVICE}` },
        {
          name: `${peer}.${SERVICE}`,
          type: 'TXT',
          class: 'IN',
          ttl: 120,
          data: ['v=1', `dnsaddr=${addrs[0]}`, `dnsaddr=${addrs[1]}`],
        },
      ],
    })
  })

  it('round-trips an announcement', () => {
    const addrs = [`/ip4/10.1.2.3/tcp/7001/p2p/${peer}`, `/ip6/2001:db8::3/tcp/7002/p2p/${peer}`]
    const packet = encodeAnnouncement(SERVICE, peer, addrs) as MdnsAnswer
    const found = decodeAnnouncements(asReceived(packet), SERVICE)
    expect(found.map((p) => ({ peer: p.peer, addrs: p.addrs.map(String) }))).toEqual([{ peer, addrs }])
  })

  it('announces at most 8 addresses, each fitting a TXT string, and nothing without an address', () => {
    const many = Array.from({ length: 12 }, (_, i) => `/ip4/10.1.2.${i + 1}/tcp/7001/p2p/${peer}`)
    const txt = ((encodeAnnouncement(SERVICE, peer, many) as MdnsAnswer).answers[1] as { data: string[] })
      .data
    expect(txt).toHaveLength(1 + MAX_ADDRS_PER_PEER)
    const tooLong = `/dns4/${'a'.repeat(250)}/tcp/1/p2p/${peer}`
    expect(encodeAnnouncement(SERVICE, peer, [tooLong])).toBeUndefined()
    expect(encodeAnnouncement(SERVICE, peer, [])).toBeUndefined()
  })

  /** a response with one PTR and one TXT record (in the answers or the additionals), as received */
  const response = (ptrName: string, instance: string, txt: string[], section = 'answers') => {
    const ptr = { name: ptrName, type: 'PTR', class: 'IN', ttl: 120, data: instance }
    const record = {
      name: instance,
      type: 'TXT',
      class: 'IN',
      ttl: 120,
      data: txt.map((s) => Buffer.from(s)),
    }
    const [answers, additionals] = section === 'answers' ? [[ptr, record], []] : [[ptr], [record]]
    return { type: 'response', questions: [], answers, additionals, authorities: [] } as unknown as MdnsPacket
  }

  it('reads the TXT record from the additionals section and compares names without case', () => {
    const addr = `/ip4/10.1.2.3/tcp/7001/p2p/${peer}`
    const packet = response(
      SERVICE.toUpperCase(),
      `${peer}.${SERVICE.toUpperCase()}`,
      ['v=1', `dnsaddr=${addr}`],
      'additionals',
    )
    expect(decodeAnnouncements(packet, SERVICE).map((p) => p.peer)).toEqual([peer])
  })

  it("drops other services' and other versions' records", () => {
    const addr = `dnsaddr=/ip4/10.1.2.3/tcp/7001/p2p/${peer}`
    expect(
      decodeAnnouncements(response(OTHER_SERVICE, `${peer}.${OTHER_SERVICE}`, ['v=1', addr]), SERVICE),
    ).toEqual([])
    expect(decodeAnnouncements(response(SERVICE, `${peer}.${SERVICE}`, ['v=2', addr]), SERVICE)).toEqual([])
    expect(decodeAnnouncements(response(SERVICE, `${peer}.${SERVICE}`, [addr]), SERVICE)).toEqual([])
    // a PTR into another service's name
    expect(
      decodeAnnouncements(response(SERVICE, `${peer}.${OTHER_SERVICE}`, ['v=1', addr]), SERVICE),
    ).toEqual([])
  })

  it('drops bad labels, and addresses that are not direct TCP addresses of the announced peer', () => {
    const good = `/ip4/10.1.2.3/tcp/7001/p2p/${peer}`
    const txt = [
      'v=1',
      'color=blue',
      `dnsaddr=/ip4/10.1.2.4/tcp/7001/p2p/${other}`,
      `dnsaddr=/ip4/10.1.2.5/tcp/7001`,
      `dnsaddr=/ip4/10.1.2.6/tcp/7001/p2p/${other}/p2p-circuit/p2p/${peer}`,
      `dnsaddr=/dns4/example.org/tcp/7001/p2p/${peer}`,
      `dnsaddr=/ip4/10.1.2.7/udp/7001/p2p/${peer}`,
      'dnsaddr=garbage',
      `dnsaddr=${good}`,
    ]
    const [found] = decodeAnnouncements(response(SERVICE, `${peer}.${SERVICE}`, txt), SERVICE)
    expect(found?.addrs.map(String)).toEqual([good])
    expect(decodeAnnouncements(response(SERVICE, `not-a-peer.${SERVICE}`, txt), SERVICE)).toEqual([])
    expect(decodeAnnouncements(response(SERVICE, `a.${peer}.${SERVICE}`, txt), SERVICE)).toEqual([])
    // a peer with no usable address is no peer
    expect(decodeAnnouncements(response(SERVICE, `${peer}.${SERVICE}`, txt.slice(0, 8)), SERVICE)).toEqual([])
  })

  it('survives malformed packets', () => {
    for (const packet of [
      {},
      { answers: null },
      { answers: [null, 42, { type: 'PTR' }, { name: SERVICE, type: 'PTR', data: 7 }] },
      {
        answers: [
          { name: SERVICE, type: 'PTR', data: `${peer}.${SERVICE}` },
          { name: `${peer}.${SERVICE}`, type: 'TXT', data: 5 },
        ],
      },
    ]) {
      expect(decodeAnnouncements(packet as unknown as MdnsPacket, SERVICE)).toEqual([])
    }
  })

  it('reads at most 16 peers from one packet and at most 8 addresses per peer', async () => {
    const peers = await Promise.all(Array.from({ length: MAX_PEERS_PER_PACKET + 4 }, newPeerId))
    const answers = peers.flatMap((p) => [
      { name: SERVICE, type: 'PTR', data: `${p}.${SERVICE}` },
      {
        name: `${p}.${SERVICE}`,
        type: 'TXT',
        data: [
          'v=1',
          ...Array.from({ length: 12 }, (_, i) => `dnsaddr=/ip4/10.1.2.${i + 1}/tcp/1/p2p/${p}`),
        ].map((s) => Buffer.from(s)),
      },
    ])
    const found = decodeAnnouncements({ answers } as unknown as MdnsPacket, SERVICE)
    expect(found).toHaveLength(MAX_PEERS_PER_PACKET)
    for (const p of found) expect(p.addrs).toHaveLength(MAX_ADDRS_PER_PEER)
  })
})
