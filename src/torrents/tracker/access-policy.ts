import { BlockList, isIP } from 'node:net'
import { CloudyError } from '../../util/errors.ts'

/**
 * Who may use a tracker. By default only the cloud: a request is answered when it comes from the
 * host or an overlay address of a member (read afresh on every request, so joiners are let in and
 * members that left are not), from loopback (this machine), or from a network in `allow`.
 * With `open`, anyone.
 */
export interface AccessPolicyInit {
  open: boolean
  /** extra networks let in, as CIDRs ("10.0.0.0/8") or single addresses */
  allow: readonly string[]
  /** let this machine in (default true) */
  loopback?: boolean
}

export interface AccessPolicyComponents {
  /** the addresses of the cloud's live members, this node included */
  memberAddresses: () => Iterable<string>
}

export interface AccessPolicy {
  readonly open: boolean
  allows(address: string): boolean
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

/** Parses "10.0.0.0/8", "fd00::/8" or a single address; INVALID_INPUT otherwise. */
export function parseNetworks(entries: readonly string[]): BlockList {
  const list = new BlockList()
  for (const raw of entries) {
    const entry = raw.trim()
    if (entry === '') continue
    const [address = '', prefixText] = entry.split('/')
    const family = isIP(address)
    const max = family === 4 ? 32 : 128
    const prefix = prefixText === undefined ? max : Number(prefixText)
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new CloudyError('INVALID_INPUT', `"${entry}" is not a network: write 10.0.0.0/8 or an address`)
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6')
  }
  return list
}

export function createAccessPolicy(init: AccessPolicyInit, components: AccessPolicyComponents): AccessPolicy {
  const allowed = parseNetworks(init.allow)
  const loopback = parseNetworks(init.loopback === false ? [] : ['127.0.0.0/8', '::1'])
  return {
    open: init.open,
    allows(raw) {
      if (init.open) return true
      const address = normaliseAddress(raw)
      if (isIP(address) === 0) return false
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
      if (loopback.check(address, family) || allowed.check(address, family)) return true
      for (const member of components.memberAddresses()) if (member === address) return true
      return false
    },
  }
}
