/**
 * The tracker's core, protocol-free (HTTP and UDP are thin adapters over it): per torrent, the
 * peers that announced lately, split into seeders and leechers, and how many completed it. Keys are
 * the raw 20-byte info hash and peer id as latin1 strings, as both wire formats carry them.
 * Every peer's compact address (BEP 23: 4-byte IPv4 + port, or BEP 7: 16-byte IPv6 + port) is
 * encoded once, when it announces, so an answer is a few buffer copies.
 */
export type AnnounceEvent = 'none' | 'started' | 'completed' | 'stopped'

export interface AnnounceRequest {
  infoHash: string
  peerId: string
  /** the address the request came from (never one the peer claims) */
  ip: string
  port: number
  left: number
  event: AnnounceEvent
  numWant: number
}

export interface AnnounceAnswer {
  seeders: number
  leechers: number
  /** compact addresses of other peers of the requester's address family */
  peers: Buffer
  /** 6 (IPv4) or 18 (IPv6) bytes per peer */
  entryLength: number
}

export interface ScrapeAnswer {
  seeders: number
  leechers: number
  completed: number
}

interface Peer {
  id: string
  compact: Buffer
  v6: boolean
  seeder: boolean
  seenAt: number
  /** its completion was counted */
  completed: boolean
  /** its place in its swarm's list */
  index: number
}

interface Swarm {
  peers: Peer[]
  byId: Map<string, Peer>
  seeders: number
  completed: number
}

const DEFAULT_NUM_WANT = 50
const MAX_NUM_WANT = 200

export function compactAddress(ip: string, port: number): Buffer | undefined {
  if (ip.includes(':')) {
    const groups = expandIpv6(ip)
    if (!groups) return undefined
    const b = Buffer.alloc(18)
    for (let i = 0; i < 8; i++) b.writeUInt16BE(groups[i] as number, i * 2)
    b.writeUInt16BE(port, 16)
    return b
  }
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  const b = Buffer.alloc(6)
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i])
    if (!(n >= 0 && n <= 255)) return undefined
    b[i] = n
  }
  b.writeUInt16BE(port, 4)
  return b
}

function expandIpv6(ip: string): number[] | undefined {
  const [head = '', tail] = ip.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const fill = tail === undefined ? 0 : 8 - h.length - t.length
  const all = [...h, ...Array<string>(Math.max(0, fill)).fill('0'), ...t]
  if (all.length !== 8) return undefined
  const groups = all.map((g) => Number.parseInt(g, 16))
  return groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined
}

export class SwarmStore {
  readonly #swarms = new Map<string, Swarm>()
  /** a peer not heard from for this long is dropped */
  readonly #peerTtlMs: number

  constructor(options: { peerTtlMs: number }) {
    this.#peerTtlMs = options.peerTtlMs
  }

  announce(req: AnnounceRequest, now: number): AnnounceAnswer {
    let swarm = this.#swarms.get(req.infoHash)
    if (swarm === undefined) {
      if (req.event === 'stopped') return { seeders: 0, leechers: 0, peers: Buffer.alloc(0), entryLength: 6 }
      swarm = { peers: [], byId: new Map(), seeders: 0, completed: 0 }
      this.#swarms.set(req.infoHash, swarm)
    }
    const v6 = req.ip.includes(':')
    const entryLength = v6 ? 18 : 6
    let peer = swarm.byId.get(req.peerId)
    if (req.event === 'stopped') {
      if (peer) this.#remove(swarm, peer)
      if (swarm.peers.length === 0) this.#swarms.delete(req.infoHash)
      return {
        seeders: swarm.seeders,
        leechers: swarm.peers.length - swarm.seeders,
        peers: Buffer.alloc(0),
        entryLength,
      }
    }
    const seeder = req.left === 0
    if (peer === undefined) {
      const compact = compactAddress(req.ip, req.port)
      if (compact) {
        peer = {
          id: req.peerId,
          compact,
          v6,
          seeder,
          seenAt: now,
          completed: false,
          index: swarm.peers.length,
        }
        swarm.peers.push(peer)
        swarm.byId.set(req.peerId, peer)
        if (seeder) swarm.seeders++
      }
    } else {
      if (peer.seeder !== seeder) swarm.seeders += seeder ? 1 : -1
      peer.seeder = seeder
      peer.seenAt = now
      if (peer.compact.readUInt16BE(peer.compact.length - 2) !== req.port) {
        const compact = compactAddress(req.ip, req.port)
        if (compact) peer.compact = compact
      }
    }
    if (req.event === 'completed' && peer && !peer.completed) {
      peer.completed = true
      swarm.completed++
    }

    // up to numWant other peers of the same family, from a random place on. A seeder gets seeders too:
    // a client that knows no size yet (a magnet link) announces left=0 and looks like one
    const want = Math.min(req.numWant < 0 ? DEFAULT_NUM_WANT : req.numWant, MAX_NUM_WANT)
    const chosen: Buffer[] = []
    const n = swarm.peers.length
    if (want > 0 && n > 1) {
      const start = Math.floor(Math.random() * n)
      for (let i = 0; i < n && chosen.length < want; i++) {
        const other = swarm.peers[(start + i) % n] as Peer
        if (other === peer || other.v6 !== v6) continue
        chosen.push(other.compact)
      }
    }
    return {
      seeders: swarm.seeders,
      leechers: n - swarm.seeders,
      peers: chosen.length === 0 ? Buffer.alloc(0) : Buffer.concat(chosen, chosen.length * entryLength),
      entryLength,
    }
  }

  scrape(infoHash: string): ScrapeAnswer {
    const swarm = this.#swarms.get(infoHash)
    if (!swarm) return { seeders: 0, leechers: 0, completed: 0 }
    return {
      seeders: swarm.seeders,
      leechers: swarm.peers.length - swarm.seeders,
      completed: swarm.completed,
    }
  }

  /** Drops the peers not heard from within the TTL, and empty swarms. */
  prune(now: number): void {
    for (const [key, swarm] of this.#swarms) {
      for (let i = swarm.peers.length - 1; i >= 0; i--) {
        const peer = swarm.peers[i] as Peer
        if (now - peer.seenAt > this.#peerTtlMs) this.#remove(swarm, peer)
      }
      if (swarm.peers.length === 0) this.#swarms.delete(key)
    }
  }

  /** Every swarm: info hash (hex), seeders, leechers, completed. */
  swarms(): { infoHash: string; seeders: number; leechers: number; completed: number }[] {
    return [...this.#swarms].map(([key, s]) => ({
      infoHash: Buffer.from(key, 'latin1').toString('hex'),
      seeders: s.seeders,
      leechers: s.peers.length - s.seeders,
      completed: s.completed,
    }))
  }

  #remove(swarm: Swarm, peer: Peer): void {
    const last = swarm.peers.pop() as Peer
    if (last !== peer) {
      swarm.peers[peer.index] = last
      last.index = peer.index
    }
    swarm.byId.delete(peer.id)
    if (peer.seeder) swarm.seeders--
  }
}
