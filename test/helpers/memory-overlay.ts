import type { Message, Overlay, OverlayEvents, RequestHandler, RequestOptions } from '../../src/net/types.ts'
import { TypedEmitter } from '../../src/util/typed-emitter.ts'

/**
 * An in-process stand-in for the libp2p overlay, for unit tests of the layers above it: every
 * request is a function call to the peer's handler. A peer can be taken down (requests to and from
 * it fail) to simulate a crash or a partition.
 */
export class MemoryNetwork {
  readonly nodes = new Map<string, MemoryOverlay>()
  readonly down = new Set<string>()

  overlay(peerId: string): MemoryOverlay {
    const overlay = new MemoryOverlay(peerId, this)
    this.nodes.set(peerId, overlay)
    return overlay
  }

  crash(peerId: string): void {
    this.down.add(peerId)
    for (const [id, node] of this.nodes)
      if (id !== peerId) node.events.emit('peer:disconnected', { peer: peerId })
  }

  revive(peerId: string): void {
    this.down.delete(peerId)
  }
}

export class MemoryOverlay implements Overlay {
  readonly events = new TypedEmitter<OverlayEvents>()
  readonly handlers = new Map<string, RequestHandler>()
  readonly peerId: string
  readonly #net: MemoryNetwork

  constructor(peerId: string, net: MemoryNetwork) {
    this.peerId = peerId
    this.#net = net
  }

  addresses(): string[] {
    return [`/memory/${this.peerId}`]
  }

  async handle(protocol: string, handler: RequestHandler): Promise<void> {
    this.handlers.set(protocol, handler)
  }

  async request(
    peer: string,
    protocol: string,
    msg: Message,
    options: RequestOptions = {},
  ): Promise<Message> {
    const target = this.#net.nodes.get(peer)
    if (!target || this.#net.down.has(peer) || this.#net.down.has(this.peerId)) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(options.timeoutMs ?? 50, 50)))
      throw new Error(`peer ${peer} unreachable`)
    }
    const handler = target.handlers.get(protocol)
    if (!handler) throw new Error(`peer ${peer} does not speak ${protocol}`)
    // A JSON round trip keeps tests honest about what crosses the wire.
    const answer = await handler(JSON.parse(JSON.stringify(msg)) as Message, this.peerId)
    return JSON.parse(JSON.stringify(answer ?? {})) as Message
  }

  async send(peer: string, protocol: string, msg: Message, options?: RequestOptions): Promise<void> {
    await this.request(peer, protocol, msg, options)
  }

  async addPeerAddresses(): Promise<void> {}
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  isConnected(peer: string): boolean {
    return !this.#net.down.has(peer)
  }
  isRelayed(): boolean {
    return false
  }
  connectedPeers(): string[] {
    return [...this.#net.nodes.keys()].filter((p) => p !== this.peerId && !this.#net.down.has(p))
  }
  async reserveRelay(): Promise<string[]> {
    throw new Error('the in-memory network has no relays')
  }
  async ping(): Promise<number> {
    return 0
  }
  async stop(): Promise<void> {
    this.#net.nodes.delete(this.peerId)
  }
}

/** Polls until the check passes or the bound runs out. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
