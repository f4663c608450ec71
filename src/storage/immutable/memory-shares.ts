import { storageError } from '../util/storage-error.ts'
import type { IoOptions, PlaintextSource, ShareAllocation, ShareSink, ShareSource } from './share-io.ts'

/**
 * In-memory ends of the share seams: a sink that keeps every share, sources over byte arrays, and a
 * plaintext source over one array. For tests, benchmarks and local round trips.
 */
export class MemoryShareSink implements ShareSink {
  readonly shares = new Map<number, Uint8Array>()
  allocation: ShareAllocation | undefined
  writes = 0
  finished = false

  async start(allocation: ShareAllocation): Promise<void> {
    this.allocation = allocation
    for (const shnum of allocation.shareNumbers) this.shares.set(shnum, new Uint8Array(allocation.shareSize))
  }

  async write(shnum: number, offset: number, data: Uint8Array, options?: IoOptions): Promise<void> {
    options?.signal?.throwIfAborted()
    this.writes++
    let share = this.shares.get(shnum)
    if (this.allocation !== undefined && (share === undefined || offset + data.length > share.length)) {
      throw storageError(
        'INVALID_FORMAT',
        `write of ${data.length} bytes at ${offset} is outside share ${shnum}`,
      )
    }
    if (share === undefined || offset + data.length > share.length) {
      const grown = new Uint8Array(offset + data.length)
      if (share) grown.set(share)
      share = grown
      this.shares.set(shnum, share)
    }
    share.set(data, offset)
  }

  async finish(): Promise<void> {
    this.finished = true
  }
}

export function memoryShareSource(shnum: number, bytes: Uint8Array, name = `memory:${shnum}`): ShareSource {
  return {
    shnum,
    name,
    async read(offset, length, options) {
      options?.signal?.throwIfAborted()
      return bytes.subarray(offset, Math.min(bytes.length, offset + length))
    },
  }
}

/** A plaintext source over `bytes`, yielding pieces of `chunkSize` bytes. */
export function bytesPlaintextSource(bytes: Uint8Array, chunkSize = 64 * 1024): PlaintextSource {
  return {
    size: bytes.length,
    async *open() {
      for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize)
    },
  }
}
