import type { Torrent, Wire } from 'webtorrent'

/**
 * Drops peers that send bad data. webtorrent checks every piece against its SHA-1 and downloads a
 * failed one again, but keeps talking to the peer that sent it. This guard remembers which peers
 * sent blocks of each piece in flight; when a piece fails, a peer that sent it alone, or that took
 * part in two failed pieces, is disconnected and refused for the rest of the run, by its peer id
 * and by its address and port (not by address alone: members behind one NAT share an address).
 */
export interface BadPeerGuardComponents {
  onDropped: (peer: string, piece: number) => void
}

const FAILED_RE = /^Piece (\d+) failed verification/

export function guardAgainstBadPeers(torrent: Torrent, components: BadPeerGuardComponents): void {
  const senders = new Map<number, Set<Wire>>()
  const strikes = new WeakMap<Wire, number>()
  const banned = new Set<string>()
  const endpoint = (wire: Wire) => `${wire.remoteAddress}:${wire.remotePort}`

  torrent.on('wire', (wire: Wire) => {
    if (banned.has(endpoint(wire))) {
      wire.destroy()
      return
    }
    wire.once('handshake', (_infoHash: string, peerId: string) => {
      if (banned.has(peerId)) wire.destroy()
    })
    wire.on('piece', (index: number) => {
      let set = senders.get(index)
      if (set === undefined) {
        set = new Set()
        senders.set(index, set)
      }
      set.add(wire)
    })
  })
  torrent.on('verified', (index: number) => senders.delete(index))
  torrent.on('warning', (err: Error) => {
    const m = FAILED_RE.exec(err.message)
    if (!m) return
    const index = Number(m[1])
    const culprits = [...(senders.get(index) ?? [])]
    senders.delete(index)
    for (const wire of culprits) {
      const count = (strikes.get(wire) ?? 0) + 1
      strikes.set(wire, count)
      if (culprits.length > 1 && count < 2) continue
      banned.add(endpoint(wire))
      if (wire.peerId) banned.add(wire.peerId)
      wire.destroy()
      components.onDropped(endpoint(wire), index)
    }
  })
}
