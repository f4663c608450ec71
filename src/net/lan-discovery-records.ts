import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type mDNS from 'multicast-dns'
import { parsePeerId, targetPeerOf } from './peer-address.ts'

/**
 * The mDNS records of LAN discovery, version 1 (docs/overlay.md, "LAN discovery (mDNS)"): a PTR query
 * for the cloud's service name; an answer of a PTR to `<peer id>.<service name>` and a TXT record
 * with `v=1` and one `dnsaddr=<multiaddr>` per address. Pure functions, no network.
 */

export const LAN_RECORDS_VERSION = 'v=1'
/** addresses one answer carries, and that are read per peer */
export const MAX_ADDRS_PER_PEER = 8
/** peers read from one packet */
export const MAX_PEERS_PER_PACKET = 16
/** seconds */
export const LAN_RECORD_TTL = 120
/** a TXT string holds at most 255 bytes */
const MAX_TXT_STRING_BYTES = 255
const DNSADDR = 'dnsaddr='

/** A packet as multicast-dns decodes it (sections may be missing from a malformed one). */
export type MdnsPacket = Partial<mDNS.FullPacket>
export type MdnsQuery = mDNS.QueryOutgoingPacket
export type MdnsAnswer = mDNS.ResponseOutgoingPacket

/** A peer read from an answer: its peer id and its direct addresses, each ending with /p2p/<peer>. */
export interface AnnouncedPeer {
  peer: string
  addrs: Multiaddr[]
}

/** `_cloudy-<first 8 hex digits of the key fingerprint>._udp.local` */
export function lanServiceName(keyFingerprint: string): string {
  return `_cloudy-${keyFingerprint.slice(0, 8).toLowerCase()}._udp.local`
}

export function discoveryQuery(serviceName: string): MdnsQuery {
  return { type: 'query', questions: [{ name: serviceName, type: 'PTR', class: 'IN' }] }
}

/** True when a query asks for the service name (PTR or ANY). */
export function asksFor(packet: MdnsPacket, serviceName: string): boolean {
  const name = serviceName.toLowerCase()
  // dns-packet decodes type 255 as 'ANY', which its typings do not list
  return (packet.questions ?? []).some(
    (q) =>
      typeof q?.name === 'string' &&
      q.name.toLowerCase() === name &&
      ['PTR', 'ANY'].includes(q.type as string),
  )
}

/**
 * The answer announcing `peer` at `addrs` (each ending with /p2p/<peer>); the first 8 that fit a TXT
 * string are taken. Undefined when none is left: a node with no address to give does not answer.
 */
export function encodeAnnouncement(
  serviceName: string,
  peer: string,
  addrs: string[],
): MdnsAnswer | undefined {
  const strings = addrs
    .map((addr) => `${DNSADDR}${addr}`)
    .filter((s) => Buffer.byteLength(s) <= MAX_TXT_STRING_BYTES)
    .slice(0, MAX_ADDRS_PER_PEER)
  if (strings.length === 0) return undefined
  const instance = `${peer}.${serviceName}`
  return {
    type: 'response',
    answers: [
      { name: serviceName, type: 'PTR', class: 'IN', ttl: LAN_RECORD_TTL, data: instance },
      {
        name: instance,
        type: 'TXT',
        class: 'IN',
        ttl: LAN_RECORD_TTL,
        data: [LAN_RECORDS_VERSION, ...strings],
      },
    ],
  }
}

function txtStrings(data: unknown): string[] {
  const items = Array.isArray(data) ? data : [data]
  return items.flatMap((item) =>
    typeof item === 'string' ? [item] : Buffer.isBuffer(item) ? [item.toString('utf8')] : [],
  )
}

/** A direct TCP address `/ip4|ip6/<ip>/tcp/<port>/p2p/<peer>` of `peer`, or undefined. */
function directAddress(text: string, peer: string): Multiaddr | undefined {
  let addr: Multiaddr
  try {
    addr = multiaddr(text)
  } catch {
    return undefined
  }
  const [ip, tcp, p2p, ...rest] = addr.getComponents()
  if (rest.length > 0 || (ip?.name !== 'ip4' && ip?.name !== 'ip6') || tcp?.name !== 'tcp' || !p2p)
    return undefined
  const target = targetPeerOf(addr)
  if (target === undefined) return undefined
  try {
    return parsePeerId(target).toString() === peer ? addr : undefined
  } catch {
    return undefined
  }
}

/**
 * The peers a response announces under the service name (answers and additionals). Records of other
 * services or versions, bad peer ids and addresses that are not direct TCP addresses of their peer
 * are dropped; at most 16 peers and 8 addresses per peer are read. No peer without an address.
 */
export function decodeAnnouncements(packet: MdnsPacket, serviceName: string): AnnouncedPeer[] {
  const service = serviceName.toLowerCase()
  const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])].filter(
    (r) => r !== null && typeof r === 'object' && typeof r.name === 'string',
  )
  const txtByName = new Map<string, string[][]>()
  for (const r of records) {
    if (r.type !== 'TXT') continue
    const key = r.name.toLowerCase()
    txtByName.set(key, [...(txtByName.get(key) ?? []), txtStrings(r.data)])
  }
  const peers = new Map<string, AnnouncedPeer>()
  for (const r of records) {
    if (peers.size >= MAX_PEERS_PER_PACKET) break
    if (r.type !== 'PTR' || r.name.toLowerCase() !== service || typeof r.data !== 'string') continue
    const instance = r.data
    const suffix = `.${service}`
    if (!instance.toLowerCase().endsWith(suffix)) continue
    const label = instance.slice(0, instance.length - suffix.length)
    if (label === '' || label.includes('.')) continue
    let peer: string
    try {
      peer = parsePeerId(label).toString()
    } catch {
      continue
    }
    if (peers.has(peer)) continue
    const txt = (txtByName.get(instance.toLowerCase()) ?? []).find((s) => s.includes(LAN_RECORDS_VERSION))
    if (txt === undefined) continue
    const addrs = new Map<string, Multiaddr>()
    for (const s of txt) {
      if (addrs.size >= MAX_ADDRS_PER_PEER) break
      if (!s.startsWith(DNSADDR)) continue
      const addr = directAddress(s.slice(DNSADDR.length), peer)
      if (addr) addrs.set(addr.toString(), addr)
    }
    if (addrs.size > 0) peers.set(peer, { peer, addrs: [...addrs.values()] })
  }
  return [...peers.values()]
}
