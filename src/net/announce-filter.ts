import { BlockList, isIP } from 'node:net'
import type { Multiaddr } from '@multiformats/multiaddr'
import { isLoopbackHost } from './peer-address.ts'

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4') // also matches IPv4-mapped IPv6 in any spelling
LOOPBACK.addAddress('::1', 'ipv6')

/** The IP an address starts with (its first /ip4 or /ip6 component), or undefined. */
function firstIp(addr: Multiaddr): string | undefined {
  const first = addr.getComponents()[0]
  return first?.name === 'ip4' || first?.name === 'ip6' ? first.value : undefined
}

/** True when the address leads to the dialler's own host: it starts with a loopback IP. */
export function isLoopbackAddress(addr: Multiaddr): boolean {
  const ip = firstIp(addr)
  if (ip === undefined) return false
  const family = isIP(ip)
  return family !== 0 && LOOPBACK.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/**
 * libp2p's `addresses.announceFilter` for a node listening on `host` (docs/overlay.md, "Connections
 * and addresses"): a node that does not listen on loopback never announces loopback addresses (a
 * wildcard listener expands to one per interface, 127.0.0.1 included), nor circuit addresses through a
 * relay's loopback address, since another member dialling them reaches its own host. When every
 * address is a loopback address (no interface up), they are kept, as they are all there is.
 */
export function announceFilter(host: string): (addrs: Multiaddr[]) => Multiaddr[] {
  if (isLoopbackHost(host)) return (addrs) => addrs
  return (addrs) => {
    const reachable = addrs.filter((addr) => !isLoopbackAddress(addr))
    return reachable.length > 0 ? reachable : addrs
  }
}
