import type { StorageClient } from '../client/storage-client.ts'
import type { ShareSource } from '../immutable/share-io.ts'
import { permutedServers, type StorageServerInfo } from './server-selection.ts'

/** Servers whose answers are this close in time count as equally fast. */
export const LATENCY_BAND_MS = 25

/** The shares one server answered it holds, and how fast it answered. */
export interface LocatedShares {
  server: StorageServerInfo
  shnums: number[]
  /** time to answer the share query, a latency sample */
  ms: number
}

export interface LocateOptions {
  signal?: AbortSignal
  /** bound on each server's answer (default 10 s) */
  timeoutMs?: number
  /** answers this close in time count as equally fast (default LATENCY_BAND_MS) */
  latencyBandMs?: number
}

/**
 * Asks every server which shares of `storageIndex` it holds (in parallel, each bounded), and
 * returns the servers that hold any, fastest first (ties in ring order). Servers that fail or time out are left out
 * and reported through `onError`.
 */
export async function locateShares(
  storageIndex: Uint8Array,
  servers: readonly StorageServerInfo[],
  client: (server: StorageServerInfo) => StorageClient,
  options: LocateOptions & { onError?: (server: StorageServerInfo, err: Error) => void } = {},
): Promise<LocatedShares[]> {
  const ring = permutedServers(storageIndex, servers)
  const answers = await Promise.all(
    ring.map(async (server): Promise<LocatedShares | undefined> => {
      const started = performance.now()
      const signal = AbortSignal.any([
        AbortSignal.timeout(options.timeoutMs ?? 10_000),
        ...(options.signal ? [options.signal] : []),
      ])
      try {
        const shnums = await client(server).listImmutableShares(storageIndex, { signal })
        return { server, shnums, ms: performance.now() - started }
      } catch (err) {
        options.signal?.throwIfAborted()
        options.onError?.(server, err as Error)
        return undefined
      }
    }),
  )
  // faster servers first; among servers within the same latency band, the ring order (where the
  // uploader put shares 0, 1, 2, ...), so every gateway asks the same servers first
  const band = (a: LocatedShares) => Math.floor(a.ms / (options.latencyBandMs ?? LATENCY_BAND_MS))
  return answers
    .map((a, ring) => ({ a, ring }))
    .filter((x): x is { a: LocatedShares; ring: number } => x.a !== undefined && x.a.shnums.length > 0)
    .sort((x, y) => band(x.a) - band(y.a) || x.ring - y.ring)
    .map((x) => x.a)
}

/**
 * Share sources for the decoder, ordered so that its first k picks are distinct shares on
 * distinct, fast servers: one share of each server (fastest server first), then the second share
 * of each, and so on. The decoder falls over to later sources when one fails or is corrupt.
 */
export function shareSources(
  storageIndex: Uint8Array,
  located: readonly LocatedShares[],
  client: (server: StorageServerInfo) => StorageClient,
): ShareSource[] {
  const out: ShareSource[] = []
  const depth = Math.max(0, ...located.map((l) => l.shnums.length))
  for (let i = 0; i < depth; i++) {
    for (const { server, shnums } of located) {
      const shnum = shnums[i]
      if (shnum === undefined) continue
      out.push({
        shnum,
        name: server.id,
        read: (offset, length, options) =>
          client(server).readImmutableShare(storageIndex, shnum, offset, length, options),
      })
    }
  }
  return out
}
