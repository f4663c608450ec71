import { BlockList, isIP } from 'node:net'
import type { NetworkInterfaceInfo } from 'node:os'
import { isLoopbackHost } from './peer-address.ts'

/** The network interface LAN discovery runs on (docs/overlay.md, "LAN discovery"). */
export interface LanInterface {
  /** the interface name, e.g. eth0 */
  name: string
  /** its IPv4 address: multicast goes out of it and is heard on it */
  address: string
  /** every address of the interface (IPv4, and IPv6 other than link-local) */
  addresses: string[]
  /** the subnets of those addresses, as CIDRs */
  cidrs: string[]
}

export type LanInterfaceChoice = { ok: true; lan: LanInterface } | { ok: false; reason: string }

/** What os.networkInterfaces() returns. */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>

const WILDCARDS = new Set(['0.0.0.0', '::'])

/** fe80::/10: not dialable without a zone id, so neither announced nor accepted */
function isLinkLocalV6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address)
}

function normalise(address: string): string {
  return address.toLowerCase().replace(/%.*$/, '')
}

function lanOf(name: string, infos: NetworkInterfaceInfo[]): LanInterfaceChoice {
  const usable = infos.filter((i) => !i.internal && !(i.family === 'IPv6' && isLinkLocalV6(i.address)))
  const v4 = usable.find((i) => i.family === 'IPv4')
  if (v4 === undefined) {
    return {
      ok: false,
      reason: `mDNS runs over IPv4 multicast, and interface ${name} has no IPv4 address`,
    }
  }
  return {
    ok: true,
    lan: {
      name,
      address: v4.address,
      addresses: usable.map((i) => normalise(i.address)),
      cidrs: usable.flatMap((i) => (i.cidr === null ? [] : [normalise(i.cidr)])),
    },
  }
}

/**
 * The interface LAN discovery runs on for a node listening on `host`: the interface holding that
 * address, or for 0.0.0.0 and :: the first interface with a non-loopback IPv4 address (the address
 * the node advertises by default). `reason` says why there is none, for the log.
 */
export function chooseLanInterface(host: string, interfaces: InterfaceTable): LanInterfaceChoice {
  if (isLoopbackHost(host)) return { ok: false, reason: `the node listens on the loopback address ${host}` }
  const entries = Object.entries(interfaces).flatMap(([name, infos]) =>
    infos ? [[name, infos] as const] : [],
  )
  if (WILDCARDS.has(host)) {
    for (const [name, infos] of entries) {
      if (infos.some((i) => i.family === 'IPv4' && !i.internal)) return lanOf(name, infos)
    }
    return {
      ok: false,
      reason: `the node listens on every interface (${host}), but none has a non-loopback IPv4 address`,
    }
  }
  if (isIP(host) === 0) return { ok: false, reason: `the listen host ${host} is not an IP address` }
  const wanted = normalise(host)
  for (const [name, infos] of entries) {
    const own = infos.find((i) => normalise(i.address) === wanted)
    if (own === undefined) continue
    if (own.internal) return { ok: false, reason: `the listen address ${host} is on the loopback interface` }
    return lanOf(name, infos)
  }
  return { ok: false, reason: `no network interface has the listen address ${host}` }
}

/** Membership tests against one interface: its own addresses and its subnets. */
export interface LanScope {
  /** the IP is one of the interface's own addresses */
  owns(ip: string): boolean
  /** the IP is inside one of the interface's subnets (and dialable: not loopback, link-local v6, multicast, unspecified) */
  contains(ip: string): boolean
}

export function lanScope(lan: LanInterface): LanScope {
  const subnets = new BlockList()
  for (const cidr of lan.cidrs) {
    const [net, prefix] = cidr.split('/')
    const family = isIP(net ?? '')
    if (family === 0 || prefix === undefined) continue
    subnets.addSubnet(net as string, Number(prefix), family === 4 ? 'ipv4' : 'ipv6')
  }
  const own = new Set(lan.addresses)
  const unusable = new BlockList()
  unusable.addSubnet('0.0.0.0', 8, 'ipv4')
  unusable.addSubnet('127.0.0.0', 8, 'ipv4')
  unusable.addSubnet('224.0.0.0', 3, 'ipv4') // multicast, reserved and broadcast
  unusable.addSubnet('::', 127, 'ipv6') // :: and ::1
  unusable.addSubnet('fe80::', 10, 'ipv6')
  unusable.addSubnet('ff00::', 8, 'ipv6')
  return {
    owns: (ip) => own.has(normalise(ip)),
    contains(ip) {
      const family = isIP(ip)
      if (family === 0) return false
      const type = family === 4 ? 'ipv4' : 'ipv6'
      return subnets.check(ip, type) && !unusable.check(ip, type)
    },
  }
}
