import { createHash } from 'node:crypto'

/** What the gateway knows of one storage server of the cloud (from its catalogue record). */
export interface StorageServerInfo {
  /** a stable id (the Cloudy node's peer id, or Tahoe's `v0-…` server id) */
  readonly id: string
  /** a human name for reports */
  readonly name: string
  /** the server's NURL: a credential, never log it */
  readonly nurl: string
  /** orders servers on the permuted ring (Tahoe: the node's Ed25519 public key) */
  readonly permutationSeed: Uint8Array
  /** the 20-byte id lease secrets are derived from (Tahoe: the tub id) */
  readonly leaseSeed: Uint8Array
}

/**
 * Tahoe's permuted ring: servers sorted by SHA-256(storage index ‖ permutation seed), so each file
 * gets its own order and shares spread evenly over the cloud, and every gateway computes the same
 * order for the same file (downloads ask the likely holders first).
 */
export function permutedServers<T extends Pick<StorageServerInfo, 'permutationSeed'>>(
  storageIndex: Uint8Array,
  servers: readonly T[],
): T[] {
  const keyed = servers.map((server) => ({
    server,
    key: createHash('sha256').update(storageIndex).update(server.permutationSeed).digest('hex'),
  }))
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return keyed.map((entry) => entry.server)
}

/**
 * Servers of happiness for a placement in which every share sits on one server: the size of a
 * maximum matching between servers and shares. With each server holding a disjoint set of shares
 * that is simply the number of servers holding at least one share.
 */
export function happiness(placement: ReadonlyMap<number, string>): number {
  return new Set(placement.values()).size
}
