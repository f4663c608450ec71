import type { StorageClient } from '../client/storage-client.ts'
import type { IoOptions, ShareAllocation, ShareSink } from '../immutable/share-io.ts'
import { storageError } from '../util/storage-error.ts'
import { fileLeaseSecrets, newUploadSecret } from './lease-secrets.ts'
import { happiness, permutedServers, type StorageServerInfo } from './server-selection.ts'

export interface ServerShareSinkInit {
  /** candidate servers (any order; the permuted ring decides) */
  servers: readonly StorageServerInfo[]
  /** ids of servers that failed recently: asked last (healthy servers first, ring order kept) */
  avoid?: ReadonlySet<string>
  /** the client's 32-byte lease secret */
  leaseSecret: Uint8Array
  /** concurrent writes per server (default 4): the pipeline depth of an upload */
  writesInFlight?: number
}

export interface ServerShareSinkComponents {
  client: (server: StorageServerInfo) => StorageClient
  /** a server failed during the upload; it is dropped and the upload goes on if happiness allows */
  onServerFailed?: (server: StorageServerInfo, err: Error) => void
}

/** Where each share ended up: share number → server id. */
export type SharePlacement = ReadonlyMap<number, string>

/** Contiguous bytes of one share waiting to be sent in one request. */
interface Piece {
  offset: number
  parts: Uint8Array[]
  size: number
}

/** Small writes (headers, hash trees, small files) are gathered up to this size per request; blocks
 * of big files go as they come (gathering them costs more in memory churn than it saves). */
const COALESCE_BYTES = 128 * 1024

interface Target {
  server: StorageServerInfo
  client: StorageClient
  /** shares this upload writes to the server */
  writing: Set<number>
  inFlight: Set<Promise<void>>
  failed?: Error
}

/**
 * The ShareSink of an upload to the cloud's storage servers (docs/storage-gateway.md): shares go
 * to servers in the file's permuted order, one share per server while servers last (Tahoe's
 * servers of happiness); shares a server already holds are not sent again. Writes are pipelined:
 * up to `writesInFlight` requests per server, so the encoder keeps working while the network
 * drains, and small contiguous writes of a share are gathered up to 128 KiB per request. A server that
 * fails is dropped; the upload fails only when fewer than `happy` servers remain. Nothing is
 * acknowledged until `finish` has seen every write complete (a server syncs a share to disk
 * before it answers the write that completes it).
 */
export class ServerShareSink implements ShareSink {
  readonly #init: ServerShareSinkInit
  readonly #c: ServerShareSinkComponents
  readonly #uploadSecret = newUploadSecret()
  readonly #targets: Target[] = []
  /** share number → the target holding it (written by us or already there) */
  readonly #placement = new Map<number, Target>()
  #allocation: ShareAllocation | undefined
  #fatal: Error | undefined
  readonly #pending = new Map<number, Piece>()
  /** allocation is over: from now on a failed server may make the upload unhappy */
  #placed = false

  constructor(init: ServerShareSinkInit, components: ServerShareSinkComponents) {
    this.#init = init
    this.#c = components
  }

  /** share number → server id, once the upload has started */
  get placement(): SharePlacement {
    return new Map([...this.#placement].map(([shnum, t]) => [shnum, t.server.id]))
  }

  async start(allocation: ShareAllocation, options: IoOptions = {}): Promise<void> {
    this.#allocation = allocation
    const { storageIndex, shareNumbers, happy } = allocation
    const avoid = this.#init.avoid ?? new Set<string>()
    const permuted = permutedServers(storageIndex, this.#init.servers)
    const ring = [...permuted.filter((s) => !avoid.has(s.id)), ...permuted.filter((s) => avoid.has(s.id))]
    if (ring.length < happy) {
      throw storageError(
        'NOT_ENOUGH_SERVERS',
        `the cloud has ${ring.length} storage server${ring.length === 1 ? '' : 's'}; an upload needs at least ${happy} (servers of happiness)`,
        { servers: ring.length, happy },
      )
    }
    const secrets = fileLeaseSecrets(this.#init.leaseSecret, storageIndex)
    const unplaced = [...shareNumbers]
    const accepting: Target[] = []
    // first round: one share for each server in ring order; then the rest round-robin over the
    // servers that accepted, as Tahoe's uploader does
    const ask = async (server: StorageServerInfo, shares: number[]): Promise<Target | undefined> => {
      const target = this.#targetOf(server)
      try {
        const answer = await target.client.allocateBuckets(
          storageIndex,
          {
            shareNumbers: shares,
            allocatedSize: allocation.shareSize,
            uploadSecret: this.#uploadSecret,
            ...secrets.forServer(server.leaseSeed),
          },
          options,
        )
        for (const shnum of answer.alreadyHave)
          if (!this.#placement.has(shnum)) this.#placement.set(shnum, target)
        for (const shnum of answer.allocated) {
          if (this.#placement.has(shnum)) continue
          this.#placement.set(shnum, target)
          target.writing.add(shnum)
        }
        return answer.allocated.length > 0 || answer.alreadyHave.length > 0 ? target : undefined
      } catch (err) {
        options.signal?.throwIfAborted()
        this.#fail(target, err as Error)
        return undefined
      }
    }
    const firstRound = ring.slice(0, unplaced.length)
    const answered = await Promise.all(firstRound.map((server, i) => ask(server, [unplaced[i] as number])))
    for (const t of answered) if (t && !t.failed) accepting.push(t)
    for (let round = 0; round < shareNumbers.length && accepting.length > 0; round++) {
      const left = shareNumbers.filter((shnum) => !this.#placement.has(shnum))
      if (left.length === 0) break
      const batches = new Map<Target, number[]>()
      left.forEach((shnum, i) => {
        const t = accepting[i % accepting.length] as Target
        batches.set(t, [...(batches.get(t) ?? []), shnum])
      })
      await Promise.all([...batches].map(([t, shares]) => ask(t.server, shares)))
      if (shareNumbers.every((shnum) => this.#placement.has(shnum))) break
      // a server that took nothing more this round is full: stop asking it
      for (const [t, shares] of batches) {
        if (shares.every((shnum) => this.#placement.get(shnum) !== t))
          accepting.splice(accepting.indexOf(t), 1)
      }
    }
    this.#placed = true
    this.#checkHappiness()
  }

  async write(shnum: number, offset: number, data: Uint8Array, options: IoOptions = {}): Promise<void> {
    if (this.#fatal) throw this.#fatal
    const target = this.#placement.get(shnum)
    if (target === undefined || !target.writing.has(shnum) || target.failed) return
    // the encoder writes each share front to back in pieces (a block per segment, then the hash
    // trees): contiguous pieces are sent together, so small shares go in one request
    const pending = this.#pending.get(shnum)
    if (pending && pending.offset + pending.size === offset && pending.size + data.length <= COALESCE_BYTES) {
      pending.parts.push(data)
      pending.size += data.length
      return
    }
    if (pending) {
      this.#pending.delete(shnum)
      await this.#send(target, shnum, pending, options)
    }
    const piece = { offset, parts: [data], size: data.length }
    if (data.length >= COALESCE_BYTES) await this.#send(target, shnum, piece, options)
    else this.#pending.set(shnum, piece)
  }

  async finish(options: IoOptions = {}): Promise<void> {
    for (const [shnum, piece] of this.#pending) {
      this.#pending.delete(shnum)
      const target = this.#placement.get(shnum)
      if (target && !target.failed) await this.#send(target, shnum, piece, options)
    }
    await Promise.all(this.#targets.flatMap((t) => [...t.inFlight]))
    if (this.#fatal) throw this.#fatal
    this.#checkHappiness()
  }

  /** Starts one write request, after waiting for a free slot of the server's pipeline. */
  async #send(target: Target, shnum: number, piece: Piece, options: IoOptions): Promise<void> {
    const limit = this.#init.writesInFlight ?? 4
    while (target.inFlight.size >= limit) {
      await Promise.race(target.inFlight)
      if (this.#fatal) throw this.#fatal
      if (target.failed) return
    }
    const request = target.client
      .writeShareChunk(
        this.#allocation?.storageIndex as Uint8Array,
        shnum,
        this.#uploadSecret,
        piece.offset,
        piece.parts,
        options,
      )
      .then(
        () => {},
        (err: Error) => {
          if (!options.signal?.aborted) this.#fail(target, err)
        },
      )
      .finally(() => target.inFlight.delete(request))
    target.inFlight.add(request)
  }

  /** Abandons the upload: every allocated share is aborted on its server (best effort). */
  async abort(): Promise<void> {
    this.#pending.clear()
    const si = this.#allocation?.storageIndex
    if (si === undefined) return
    await Promise.all(this.#targets.flatMap((t) => [...t.inFlight]))
    await Promise.all(
      this.#targets.flatMap((t) =>
        [...t.writing].map((shnum) =>
          t.client
            .abortUpload(si, shnum, this.#uploadSecret, { signal: AbortSignal.timeout(10_000) })
            .catch(() => {}),
        ),
      ),
    )
  }

  #targetOf(server: StorageServerInfo): Target {
    let target = this.#targets.find((t) => t.server.id === server.id)
    if (target === undefined) {
      target = { server, client: this.#c.client(server), writing: new Set(), inFlight: new Set() }
      this.#targets.push(target)
    }
    return target
  }

  #fail(target: Target, err: Error): void {
    if (target.failed) return
    target.failed = err
    for (const [shnum, t] of this.#placement) if (t === target) this.#placement.delete(shnum)
    this.#c.onServerFailed?.(target.server, err)
    // while shares are being allocated, start() judges happiness once all servers have answered
    if (this.#placed && this.#allocation && this.#happiness() < this.#allocation.happy) {
      this.#fatal ??= this.#unhappy()
    }
  }

  #happiness(): number {
    return happiness(new Map([...this.#placement].map(([shnum, t]) => [shnum, t.server.id])))
  }

  #checkHappiness(): void {
    const allocation = this.#allocation as ShareAllocation
    if (this.#happiness() < allocation.happy) {
      this.#fatal ??= this.#unhappy()
      throw this.#fatal
    }
  }

  #unhappy(): Error {
    const allocation = this.#allocation as ShareAllocation
    const failed = this.#targets.filter((t) => t.failed)
    return storageError(
      'NOT_ENOUGH_SERVERS',
      `only ${this.#happiness()} storage servers took shares; an upload needs ${allocation.happy} (servers of happiness)` +
        (failed.length > 0
          ? `; ${failed.length} failed: ${failed.map((t) => `${t.server.name} (${t.failed?.message})`).join(', ')}`
          : ''),
      { happiness: this.#happiness(), happy: allocation.happy },
    )
  }
}
