import { multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../util/logger.ts'
import {
  type AnnouncedPeer,
  asksFor,
  decodeAnnouncements,
  discoveryQuery,
  encodeAnnouncement,
} from './lan-discovery-records.ts'
import type { LanInterface, LanScope } from './lan-interface.ts'
import { lanScope } from './lan-interface.ts'
import type { LanMdnsSocket } from './lan-mdns-socket.ts'

export const LAN_DISCOVERY_DEFAULTS = {
  /** between two queries; one is also sent at start */
  intervalMs: 10_000,
  /** between two answers (RFC 6762 §6: a record is multicast at most once per second) */
  minAnswerIntervalMs: 1000,
} as const

export interface LanDiscoveryInit {
  /** `_cloudy-<8 hex>._udp.local` (lanServiceName) */
  serviceName: string
  /** this node's peer id: its own answers are not "discovered" */
  peerId: string
  lan: LanInterface
  intervalMs?: number
}

export interface LanDiscoveryComponents {
  logger: Logger
  socket: LanMdnsSocket
  /** this node's current overlay addresses, with /p2p/<id> */
  addresses(): string[]
  /** a peer of the cloud found on the LAN (never this node), with its addresses inside the LAN */
  onPeer(peer: AnnouncedPeer): void
  /** default Date.now */
  clock?: () => number
}

export interface LanDiscovery {
  stop(): Promise<void>
}

/** The IP of a direct TCP address `/ip4|ip6/<ip>/tcp/<port>/p2p/<id>`, else undefined. */
function directIp(addr: string): string | undefined {
  try {
    const [ip, tcp, p2p, ...rest] = multiaddr(addr).getComponents()
    if (rest.length > 0 || tcp?.name !== 'tcp' || p2p?.name !== 'p2p') return undefined
    return ip?.name === 'ip4' || ip?.name === 'ip6' ? ip.value : undefined
  } catch {
    return undefined
  }
}

/** The node's addresses worth announcing on the LAN: direct TCP addresses on the interface itself. */
export function announceableAddresses(addrs: string[], scope: LanScope): string[] {
  return addrs.filter((addr) => {
    const ip = directIp(addr)
    return ip !== undefined && scope.owns(ip) && scope.contains(ip)
  })
}

/** The announced peers worth dialling: not this node, with only addresses inside the LAN's subnets. */
export function dialablePeers(peers: AnnouncedPeer[], selfId: string, scope: LanScope): AnnouncedPeer[] {
  return peers.flatMap((p) => {
    if (p.peer === selfId) return []
    const addrs = p.addrs.filter((addr) => {
      const ip = directIp(addr.toString())
      return ip !== undefined && scope.contains(ip)
    })
    return addrs.length > 0 ? [{ peer: p.peer, addrs }] : []
  })
}

/**
 * LAN discovery of the members of one cloud over mDNS on one interface (docs/overlay.md, "LAN
 * discovery (mDNS)"): queries for the cloud's service name at start and every 10 s, answers queries
 * for it with this node's addresses on the interface, and hands every other peer it hears of to
 * `onPeer`. Packets from outside the interface's subnets are ignored. Network failures are logged
 * (the first of a kind at warn) and never thrown.
 */
export function startLanDiscovery(init: LanDiscoveryInit, components: LanDiscoveryComponents): LanDiscovery {
  const { serviceName, peerId, lan } = init
  const { socket, logger: log } = components
  const clock = components.clock ?? Date.now
  const scope = lanScope(lan)
  const intervalMs = init.intervalMs ?? LAN_DISCOVERY_DEFAULTS.intervalMs
  const warned = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let lastAnswerAt = Number.NEGATIVE_INFINITY
  let stopped = false

  /** the first failure of a kind at warn, repeats at debug (a broken socket fails every 10 s) */
  const report = (kind: string, err: Error, msg: string): void => {
    const key = `${kind}:${err.message}`
    const fields = { interface: lan.name, address: lan.address, err: err.message }
    if (warned.has(key)) {
      log.debug(fields, msg)
      return
    }
    if (warned.size < 64) warned.add(key)
    log.warn(fields, msg)
  }

  const send = (what: 'query' | 'answer', packet: Parameters<LanMdnsSocket['send']>[0]): void => {
    socket.send(packet).then(
      () => {
        // a send that works again is worth a warning when it next fails
        for (const key of warned) if (key.startsWith(`send:${what}:`)) warned.delete(key)
      },
      (err: Error) => {
        if (!stopped) report(`send:${what}`, err, `could not send an mDNS ${what} on the LAN`)
      },
    )
  }
  const query = () => send('query', discoveryQuery(serviceName))
  const answer = () => {
    const now = clock()
    if (now - lastAnswerAt < LAN_DISCOVERY_DEFAULTS.minAnswerIntervalMs) return
    const packet = encodeAnnouncement(
      serviceName,
      peerId,
      announceableAddresses(components.addresses(), scope),
    )
    if (packet === undefined) {
      log.debug({ interface: lan.name }, 'no overlay address on the LAN interface to announce')
      return
    }
    lastAnswerAt = now
    send('answer', packet)
  }

  const unsubscribe = [
    socket.events.on('socket:ready', () => {
      if (stopped) return
      log.debug({ interface: lan.name, address: lan.address, serviceName }, 'LAN discovery listening')
      query()
      answer()
      timer = setInterval(query, intervalMs)
      timer.unref()
    }),
    socket.events.on('packet:received', ({ kind, packet, from }) => {
      if (stopped || !scope.contains(from)) return
      if (kind === 'query') {
        if (asksFor(packet, serviceName)) answer()
        return
      }
      for (const found of dialablePeers(decodeAnnouncements(packet, serviceName), peerId, scope)) {
        log.debug(
          { peer: found.peer, addrs: found.addrs.map(String), from },
          'found a member on the LAN by mDNS',
        )
        try {
          components.onPeer(found)
        } catch (err) {
          log.error({ err, peer: found.peer }, 'LAN discovery peer handler threw')
        }
      }
    }),
    socket.events.on('socket:failed', ({ err, fatal }) => {
      report('socket', err, fatal ? 'the mDNS socket failed; LAN discovery is off' : 'mDNS socket error')
    }),
    socket.events.on('packet:dropped', ({ err }) => {
      log.debug({ err: err.message }, 'ignored an undecodable mDNS datagram')
    }),
  ]

  return {
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      for (const off of unsubscribe) off()
      await socket.close()
    },
  }
}
