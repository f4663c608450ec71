import '../util/polyfill.ts'
import { networkInterfaces } from 'node:os'
import { type CircuitRelayService, circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { type Identify, identify } from '@libp2p/identify'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { type Ping, ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { CODE_P2P, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type ServiceFactoryMap } from 'libp2p'
import { CloudyError, isCloudyError } from '../util/errors.ts'
import type { Logger } from '../util/logger.ts'
import { TypedEmitter } from '../util/typed-emitter.ts'
import { announceFilter } from './announce-filter.ts'
import { startBootstrapDialer } from './bootstrap-dialer.ts'
import { cloudKeyFingerprint, validateCloudKey } from './cloud-key.ts'
import { createHandshakeWatch } from './handshake-watch.ts'
import { withKeyCheck } from './key-check.ts'
import { type LanDiscovery, startLanDiscovery } from './lan-discovery.ts'
import { type AnnouncedPeer, lanServiceName } from './lan-discovery-records.ts'
import { chooseLanInterface, type LanInterfaceChoice } from './lan-interface.ts'
import { openLanMdnsSocket } from './lan-mdns-socket.ts'
import {
  isCircuitAddress,
  isLoopbackHost,
  listenError,
  listenMultiaddr,
  parseMultiaddr,
  parsePeerId,
  targetPeerOf,
} from './peer-address.ts'
import { sendRequest, serveRequest } from './request-response.ts'
import type { Message, Overlay, OverlayEvents, OverlayInit, RequestOptions } from './types.ts'

/** Tunables of the overlay (docs/overlay.md). */
export const OVERLAY_DEFAULTS = {
  requestTimeoutMs: 5000,
  /** how long a requester may take to send its request frame */
  serveReadTimeoutMs: 10_000,
  /** concurrent streams per protocol per connection, each way */
  maxStreamsPerProtocol: 128,
  /** far above what a cloud of 100 members needs, so libp2p never prunes member connections */
  maxConnections: 500,
  dialTimeoutMs: 5000,
  addressDialTimeoutMs: 3000,
  /** inbound connections per second from one IP (loopback testbeds run many nodes on one host) */
  inboundConnectionsPerHostPerSecond: 50,
  maxIncomingPendingConnections: 50,
  relayReservationTimeoutMs: 5000,
  maxRelayReservations: 128,
  mdnsIntervalMs: 10_000,
  /** peers found by mDNS dialled at the same time (a LAN host could announce many fake ones) */
  mdnsMaxConcurrentDials: 8,
} as const

export interface OverlayComponents {
  logger: Logger
}

/**
 * The one method of libp2p's internal transport manager the overlay needs: listening on a relay's
 * circuit address at run time. A tiny libp2p service receives it from libp2p's components.
 */
interface TransportControl {
  listen(addrs: Multiaddr[]): Promise<void>
}

interface OverlayServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  transportControl: TransportControl
  relay?: CircuitRelayService
}

/**
 * Starts the cloud's private overlay: libp2p over TCP (and circuit relay) with the cloud key as pnet
 * pre-shared key, Noise, Yamux, identify and ping. Bootstrap peers are dialled in the background, so
 * start does not fail when they are down.
 */
export async function createOverlay(init: OverlayInit, components: OverlayComponents): Promise<Overlay> {
  const log = components.logger.child({ component: 'overlay' })
  const cloudKey = validateCloudKey(init.cloudKey)
  const bootstrapAddrs = init.bootstrap.map(parseMultiaddr)
  for (const addr of bootstrapAddrs) {
    if (targetPeerOf(addr) === undefined) {
      throw new CloudyError('INVALID_INPUT', `bootstrap address must end with /p2p/<peer id>: "${addr}"`)
    }
  }
  const events = new TypedEmitter<OverlayEvents>()
  const emit = <K extends keyof OverlayEvents & string>(event: K, payload: OverlayEvents[K]): void => {
    try {
      events.emit(event, payload)
    } catch (err) {
      log.error({ err, event }, 'overlay event listener threw')
    }
  }

  const watch = createHandshakeWatch((refused) => {
    log.warn(
      refused,
      'refused a connection that failed the cloud-key handshake (another cloud, or not Cloudy)',
    )
    emit('peer:refused', refused)
  })
  // LAN discovery runs on the interface the node listens on, never on a loopback-only node
  const lanChoice: LanInterfaceChoice | undefined =
    init.mdns && !isLoopbackHost(init.host) ? chooseLanInterface(init.host, networkInterfaces()) : undefined
  if (lanChoice && !lanChoice.ok)
    log.info({ reason: lanChoice.reason }, `LAN discovery off: ${lanChoice.reason}`)
  const transportControl = (c: { transportManager: TransportControl }): TransportControl => ({
    listen: (addrs) => c.transportManager.listen(addrs),
  })
  const services: ServiceFactoryMap<OverlayServices> = {
    identify: identify(),
    ping: ping(),
    transportControl,
  }
  if (init.relayServer) {
    // members are trusted: relayed member connections get no data or duration limit
    services.relay = circuitRelayServer({
      reservations: { maxReservations: OVERLAY_DEFAULTS.maxRelayReservations, applyDefaultLimit: false },
    })
  }

  const node = await createLibp2p({
    start: false,
    privateKey: init.privateKey,
    addresses: {
      listen: [listenMultiaddr(init.host, init.port).toString()],
      // a wildcard listener must not announce 127.0.0.1: other members would dial their own host
      announceFilter: announceFilter(init.host),
    },
    transports: [
      tcp(),
      circuitRelayTransport({ reservationCompletionTimeout: OVERLAY_DEFAULTS.relayReservationTimeoutMs }),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: () => watch.protector(withKeyCheck(preSharedKey({ psk: cloudKey })())),
    connectionGater: watch.gater,
    // membership's probes are the liveness check; libp2p's monitor would open a ping stream on every
    // connection every 10 s (5x the streams of the probes) and abort connections on its own verdict
    connectionMonitor: { enabled: false },
    connectionManager: {
      maxConnections: OVERLAY_DEFAULTS.maxConnections,
      dialTimeout: OVERLAY_DEFAULTS.dialTimeoutMs,
      addressDialTimeout: OVERLAY_DEFAULTS.addressDialTimeoutMs,
      inboundConnectionThreshold: OVERLAY_DEFAULTS.inboundConnectionsPerHostPerSecond,
      maxIncomingPendingConnections: OVERLAY_DEFAULTS.maxIncomingPendingConnections,
    },
    services,
  })

  const isOpenRelayed = (peerId: PeerId): boolean => {
    const open = node.getConnections(peerId).filter((c) => c.status === 'open')
    return open.length > 0 && open.every((c) => c.limits != null || isCircuitAddress(c.remoteAddr))
  }

  node.addEventListener('peer:connect', (evt) => {
    emit('peer:connected', { peer: evt.detail.toString(), relayed: isOpenRelayed(evt.detail) })
  })
  node.addEventListener('peer:disconnect', (evt) => {
    emit('peer:disconnected', { peer: evt.detail.toString() })
  })
  /** Adds the addresses of a member found by mDNS to the peer store and dials it, unless connected. */
  const discoveryDials = new Set<string>()
  const dialDiscovered = async ({ peer, addrs }: AnnouncedPeer): Promise<void> => {
    const peerId = parsePeerId(peer)
    if (peerId.equals(node.peerId)) return
    await node.peerStore.merge(peerId, { multiaddrs: addrs.map((addr) => addr.decapsulateCode(CODE_P2P)) })
    if (node.getConnections(peerId).length > 0 || discoveryDials.has(peer)) return
    if (discoveryDials.size >= OVERLAY_DEFAULTS.mdnsMaxConcurrentDials) return // the next query finds it again
    discoveryDials.add(peer)
    try {
      await node.dial(peerId)
    } finally {
      discoveryDials.delete(peer)
    }
  }

  try {
    await node.start()
  } catch (err) {
    await node.stop()
    throw listenError(err, init.host, init.port)
  }
  const selfId = node.peerId.toString()
  const bootstrap = startBootstrapDialer(
    { addrs: bootstrapAddrs.filter((addr) => targetPeerOf(addr) !== selfId) },
    { dial: (addr, options) => node.dial(addr, options), logger: log },
  )
  const addresses = (): string[] => node.getMultiaddrs().map(String)
  let lanDiscovery: LanDiscovery | undefined
  if (lanChoice?.ok) {
    const { lan } = lanChoice
    try {
      lanDiscovery = startLanDiscovery(
        {
          // one service name per cloud, so members of other clouds on the LAN are not dialled
          serviceName: lanServiceName(cloudKeyFingerprint(cloudKey)),
          peerId: selfId,
          lan,
          intervalMs: OVERLAY_DEFAULTS.mdnsIntervalMs,
        },
        {
          logger: log,
          socket: openLanMdnsSocket({ interfaceAddress: lan.address }),
          addresses,
          onPeer: (found) => {
            dialDiscovered(found).catch((err: Error) => {
              log.debug({ peer: found.peer, reason: err.message }, 'could not dial a peer found by mDNS')
            })
          },
        },
      )
    } catch (err) {
      log.warn({ err: (err as Error).message, interface: lan.name }, 'could not start LAN discovery')
    }
  }
  log.info(
    {
      peerId: selfId,
      addrs: addresses(),
      mdns: lanDiscovery !== undefined,
      ...(lanDiscovery && lanChoice?.ok
        ? { mdnsInterface: `${lanChoice.lan.name} (${lanChoice.lan.address})` }
        : {}),
    },
    'overlay started',
  )

  /** Runs an operation on a peer under the request timeout and maps failures to CloudyErrors. */
  const withPeer = async <T>(
    peer: string,
    what: string,
    options: RequestOptions | undefined,
    op: (peerId: PeerId, opts: AbortOptions & { signal: AbortSignal }) => Promise<T>,
  ): Promise<T> => {
    const peerId = parsePeerId(peer)
    const timeoutMs = options?.timeoutMs ?? OVERLAY_DEFAULTS.requestTimeoutMs
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = options?.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    try {
      return await op(peerId, { signal })
    } catch (err) {
      if (options?.signal?.aborted) throw options.signal.reason
      if (isCloudyError(err)) throw err
      const details = { peer, what }
      if (timeout.aborted) {
        throw new CloudyError('UNAVAILABLE', `${what}: no answer from ${peer} within ${timeoutMs} ms`, {
          cause: err,
          details: { ...details, reason: 'timeout' },
        })
      }
      throw new CloudyError('UNAVAILABLE', `${what}: ${describeFailure(err, peer)}`, {
        cause: err,
        details: { ...details, reason: 'unreachable' },
      })
    }
  }

  const exchange = (peer: string, protocol: string, msg: Message, reply: boolean, options?: RequestOptions) =>
    withPeer(peer, protocol, options, async (peerId, opts) => {
      const stream = await node.dialProtocol(peerId, protocol, {
        ...opts,
        runOnLimitedConnection: true,
        maxOutboundStreams: OVERLAY_DEFAULTS.maxStreamsPerProtocol,
      })
      return sendRequest(stream, msg, { signal: opts.signal, reply })
    })

  return {
    peerId: selfId,
    events,
    addresses,

    async handle(protocol, handler) {
      try {
        await node.handle(
          protocol,
          (stream, connection) =>
            serveRequest(stream, handler, {
              from: connection.remotePeer.toString(),
              log,
              readTimeoutMs: OVERLAY_DEFAULTS.serveReadTimeoutMs,
            }),
          { runOnLimitedConnection: true, maxInboundStreams: OVERLAY_DEFAULTS.maxStreamsPerProtocol },
        )
      } catch (err) {
        if ((err as Error).name === 'DuplicateProtocolHandlerError') {
          throw new CloudyError('CONFLICT', `a handler for ${protocol} is already registered`)
        }
        throw err
      }
    },

    request: (peer, protocol, msg, options) => exchange(peer, protocol, msg, true, options),

    async send(peer, protocol, msg, options) {
      await exchange(peer, protocol, msg, false, options)
    },

    async addPeerAddresses(peer, addrs) {
      const peerId = parsePeerId(peer)
      const multiaddrs = addrs.map((addr) => {
        const ma = parseMultiaddr(addr)
        const target = targetPeerOf(ma)
        if (target === undefined) return ma
        if (target !== peer) {
          throw new CloudyError('INVALID_INPUT', `address "${addr}" belongs to ${target}, not to ${peer}`)
        }
        return ma.decapsulateCode(CODE_P2P)
      })
      if (peerId.equals(node.peerId) || multiaddrs.length === 0) return
      await node.peerStore.merge(peerId, { multiaddrs })
    },

    async connect(peer, options) {
      await withPeer(peer, 'connect', options, (peerId, opts) => node.dial(peerId, opts))
    },

    async disconnect(peer) {
      await node.hangUp(parsePeerId(peer))
    },

    isConnected: (peer) => node.getConnections(parsePeerId(peer)).some((c) => c.status === 'open'),

    isRelayed: (peer) => isOpenRelayed(parsePeerId(peer)),

    connectedPeers: () => node.getPeers().map(String),

    ping: (peer, options) =>
      withPeer(peer, 'ping', options, (peerId, opts) => node.services.ping.ping(peerId, opts)),

    async reserveRelay(relayAddr, options) {
      const ma = parseMultiaddr(relayAddr)
      const relay = targetPeerOf(ma)
      if (relay === undefined || isCircuitAddress(ma)) {
        throw new CloudyError(
          'INVALID_INPUT',
          `relay address must be a direct address ending with /p2p/<relay id>: "${relayAddr}"`,
        )
      }
      await withPeer(relay, 'relay reservation', options, (_peerId, { signal }) =>
        abortable(node.services.transportControl.listen([ma.encapsulate('/p2p-circuit')]), signal),
      )
      const circuit = addresses().filter((a) => a.includes(`/p2p/${relay}/p2p-circuit/`))
      log.info({ relay, addrs: circuit }, 'reserved a slot on a relay')
      return circuit
    },

    async stop() {
      bootstrap.stop()
      await lanDiscovery?.stop()
      await node.stop()
      log.info('overlay stopped')
    },
  }
}

/** A short, key-free explanation of why a peer could not be reached. */
function describeFailure(err: unknown, peer: string): string {
  const e = err as Error & { errors?: unknown[] }
  const inner = e.name === 'AggregateError' && e.errors?.length ? (e.errors[0] as Error) : e
  switch (inner.name) {
    case 'CloudKeyMismatchError':
      return `${peer} holds another cloud key`
    case 'EncryptionFailedError':
      return `the encryption handshake with ${peer} failed: ${inner.message}`
    case 'NoValidAddressesError':
      return `no known address for ${peer}`
    case 'UnsupportedProtocolError':
      return `${peer} does not serve this protocol`
    default:
      return `cannot reach ${peer}: ${inner.message}`
  }
}

/** Rejects with the signal's reason when it aborts first; the operation itself is bounded elsewhere. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
