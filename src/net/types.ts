import type { TypedEmitter } from '../util/typed-emitter.ts'

/** A JSON-serialisable message carried over the overlay. */
export type Message = Record<string, unknown>

/** Handles one request on a protocol; the result (if any) is sent back as the response. */
export type RequestHandler = (
  msg: Message,
  from: string,
) => Promise<Message | undefined> | Message | undefined

export interface OverlayEvents extends Record<string, unknown> {
  'peer:connected': { peer: string; relayed: boolean }
  'peer:disconnected': { peer: string }
  /** a connection attempt failed the cloud-key check or the encryption handshake */
  'peer:refused': { remoteAddr: string; reason: string }
}

export interface RequestOptions {
  signal?: AbortSignal
  /** ms; default 5000 */
  timeoutMs?: number
}

/**
 * The private overlay among the members of one cloud: libp2p over TCP with Noise and Yamux, gated by
 * the cloud's pre-shared key. It carries membership, the catalogue and control messages only.
 */
export interface Overlay {
  readonly peerId: string
  readonly events: TypedEmitter<OverlayEvents>
  /** Multiaddrs (with /p2p/<id>) that other members can dial. */
  addresses(): string[]
  /** Registers the handler for a protocol id such as "/cloudy/membership/1.0.0". */
  handle(protocol: string, handler: RequestHandler): Promise<void>
  /** Sends one message and waits for one response. Rejects on timeout or a closed stream. */
  request(peer: string, protocol: string, msg: Message, options?: RequestOptions): Promise<Message>
  /** Sends one message, expecting no response. */
  send(peer: string, protocol: string, msg: Message, options?: RequestOptions): Promise<void>
  /** Adds addresses for a peer (from a record or an invite) so it can be dialled. */
  addPeerAddresses(peer: string, addrs: string[]): Promise<void>
  /** Opens a connection (if none) to the peer. */
  connect(peer: string, options?: RequestOptions): Promise<void>
  /** Closes all connections to a peer (e.g. a removed member). */
  disconnect(peer: string): Promise<void>
  isConnected(peer: string): boolean
  /** True when every open connection to the peer goes through a relay. */
  isRelayed(peer: string): boolean
  connectedPeers(): string[]
  /** Round-trip time in ms measured with the libp2p ping protocol. */
  ping(peer: string, options?: RequestOptions): Promise<number>
  /**
   * Makes a circuit-relay reservation on a member running as relay server (`relayAddr` is its direct
   * address with /p2p/<id>), so peers can reach this node through it. Resolves with the new
   * `.../p2p/<relay>/p2p-circuit/p2p/<self>` addresses, which addresses() then includes too.
   */
  reserveRelay(relayAddr: string, options?: RequestOptions): Promise<string[]>
  stop(): Promise<void>
}

export interface OverlayInit {
  /** the node's Ed25519 identity (libp2p private key) */
  privateKey: import('@libp2p/interface').PrivateKey
  /** the cloud's pre-shared key in libp2p swarm-key format (docs/overlay.md) */
  cloudKey: Uint8Array
  /** address to listen on, e.g. 127.0.0.1 or 0.0.0.0 */
  host: string
  /** TCP port, 0 for an ephemeral one */
  port: number
  /** multiaddrs with /p2p/<id> to dial at start */
  bootstrap: string[]
  /** LAN discovery by mDNS; ignored (off) when host is a loopback address */
  mdns: boolean
  /** serve as a circuit relay v2 for members that cannot reach each other */
  relayServer: boolean
}
