import type { Torrent, Wire } from 'webtorrent'

/**
 * Keeps one connection per remote peer. Two peers that learn of each other from a tracker both
 * connect, and webtorrent keeps both connections: its choker and its block requests then treat one
 * peer as two (requests reserved on a connection that gets choked wait for their timeout). Both ends
 * apply the same rule, so they keep the same connection: the one opened by the lower peer id.
 */
interface PeerEntry {
  wire?: Wire
  type?: string
}

export function dropDuplicateConnections(torrent: Torrent, selfPeerId: string): void {
  const byPeerId = new Map<string, Wire>()
  // webtorrent knows which connections it opened only in its (private) peer table
  const openedByUs = (wire: Wire): boolean => {
    const peers = (torrent as unknown as { _peers?: Map<string, PeerEntry> })._peers
    for (const peer of peers?.values() ?? [])
      if (peer.wire === wire) return peer.type?.endsWith('Outgoing') === true
    return false
  }
  torrent.on('wire', (wire: Wire) => {
    const id = wire.peerId
    if (!id) return
    const first = byPeerId.get(id)
    let keep = wire
    if (first !== undefined && !first.destroyed && first !== wire) {
      const weOpenTheKeptOne = selfPeerId < id
      keep = openedByUs(wire) === weOpenTheKeptOne ? wire : first
      const drop = keep === wire ? first : wire
      setImmediate(() => drop.destroy())
    }
    byPeerId.set(id, keep)
    wire.once('close', () => {
      if (byPeerId.get(id) === wire) byPeerId.delete(id)
    })
  })
}
