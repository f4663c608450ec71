import { type FileHandle, open, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { removeIfEmpty, renameDurable } from './durable-fs.ts'
import { IMMUTABLE_HEADER_BYTES, initImmutableContainer } from './immutable-container.ts'
import { constantTimeEqual, type StoredLease } from './lease.ts'
import { readAt, writevAt } from './random-access-file.ts'
import { type ByteRange, RangeSet } from './range-set.ts'
import { storageServerError } from './storage-server-error.ts'

/** Incoming data is gathered into pieces of this size before each positional write. */
const WRITE_PIECE_BYTES = 1024 * 1024

export type ShareData = Uint8Array | AsyncIterable<Uint8Array>

export interface WriteResult {
  /** every byte of the share has been written (and the share moved into shares/) */
  complete: boolean
  /** what is still to be written */
  required: ByteRange[]
}

/**
 * One immutable share being uploaded: a container in shares/incoming/ written at offsets, with the
 * ranges written so far. Writes over bytes already written must carry the same bytes (else
 * WRITE_CONFLICT, like Tahoe). The share is fsynced once, when complete, before it is moved into
 * shares/ and the write that completed it is answered.
 */
export class BucketWriter {
  readonly storageIndex: string
  readonly shareNumber: number
  readonly allocatedSize: number
  readonly incomingPath: string
  readonly finalPath: string
  readonly #uploadSecret: Uint8Array
  readonly #handle: FileHandle
  readonly #written = new RangeSet()
  #writes = 0
  #closed = false

  private constructor(
    fields: {
      storageIndex: string
      shareNumber: number
      allocatedSize: number
      incomingPath: string
      finalPath: string
      uploadSecret: Uint8Array
    },
    handle: FileHandle,
  ) {
    this.storageIndex = fields.storageIndex
    this.shareNumber = fields.shareNumber
    this.allocatedSize = fields.allocatedSize
    this.incomingPath = fields.incomingPath
    this.finalPath = fields.finalPath
    this.#uploadSecret = fields.uploadSecret
    this.#handle = handle
  }

  /** Creates the incoming container with its header and the allocation's lease. */
  static async create(
    fields: {
      storageIndex: string
      shareNumber: number
      allocatedSize: number
      incomingPath: string
      finalPath: string
      uploadSecret: Uint8Array
    },
    lease: StoredLease,
  ): Promise<BucketWriter> {
    const handle = await open(fields.incomingPath, 'wx+', 0o644)
    try {
      await initImmutableContainer(handle, fields.allocatedSize, lease)
    } catch (err) {
      await handle.close()
      throw err
    }
    return new BucketWriter(fields, handle)
  }

  hasUploadSecret(secret: Uint8Array): boolean {
    return constantTimeEqual(this.#uploadSecret, secret)
  }

  /** How many writes have been received so far. */
  get writes(): number {
    return this.#writes
  }

  get closed(): boolean {
    return this.#closed
  }

  get required(): ByteRange[] {
    return this.#written.missing(0, this.allocatedSize)
  }

  get complete(): boolean {
    return this.#written.size === this.allocatedSize
  }

  /** Writes `length` bytes at `offset`; `data` must hold exactly that many. */
  async write(offset: number, length: number, data: ShareData): Promise<WriteResult> {
    if (this.#closed) throw storageServerError('NOT_FOUND', 'this upload is no longer in progress')
    if (offset + length > this.allocatedSize) {
      throw storageServerError(
        'OUT_OF_RANGE',
        `bytes ${offset}-${offset + length - 1} are beyond the allocated size`,
        {
          allocatedSize: this.allocatedSize,
        },
      )
    }
    let position = offset
    const put = async (parts: Uint8Array[], size: number) => {
      if (position + size > offset + length) {
        throw storageServerError('BAD_REQUEST', 'the body is longer than its Content-Range')
      }
      if (this.#written.intersect(position, position + size).length > 0) {
        await this.#checkSame(position, parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts))
      }
      await writevAt(this.#handle, IMMUTABLE_HEADER_BYTES + position, parts)
      position += size
    }
    if (data instanceof Uint8Array) await put([data], data.length)
    else {
      let parts: Uint8Array[] = []
      let gathered = 0
      for await (const chunk of data) {
        parts.push(chunk)
        gathered += chunk.length
        if (gathered >= WRITE_PIECE_BYTES) {
          await put(parts, gathered)
          parts = []
          gathered = 0
        }
      }
      if (gathered > 0) await put(parts, gathered)
    }
    if (position !== offset + length) {
      throw storageServerError('BAD_REQUEST', 'the body is shorter than its Content-Range')
    }
    // no fsync here: an unfinished share is thrown away on restart, so a write acknowledges only
    // that the bytes were taken; finish() makes the whole share durable before the last write's answer
    this.#written.add(offset, offset + length)
    this.#writes++
    return { complete: this.complete, required: this.required }
  }

  /** Overlapping bytes already written must be equal to the new ones. */
  async #checkSame(position: number, piece: Uint8Array): Promise<void> {
    for (const r of this.#written.intersect(position, position + piece.length)) {
      const existing = await readAt(this.#handle, IMMUTABLE_HEADER_BYTES + r.begin, r.end - r.begin)
      const incoming = piece.subarray(r.begin - position, r.end - position)
      if (!Buffer.from(existing).equals(incoming)) {
        throw storageServerError(
          'WRITE_CONFLICT',
          `bytes ${r.begin}-${r.end - 1} differ from what was written before`,
        )
      }
    }
  }

  /** Makes the complete container durable and moves it into shares/. */
  async finish(): Promise<void> {
    this.#closed = true
    await this.#handle.sync()
    await this.#handle.close()
    await renameDurable(this.incomingPath, this.finalPath)
    await this.#removeIncomingDirs()
  }

  /** Throws the upload away. */
  async abort(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#handle.close().catch(() => {})
    await unlink(this.incomingPath).catch(() => {})
    await this.#removeIncomingDirs()
  }

  async #removeIncomingDirs(): Promise<void> {
    const bucket = dirname(this.incomingPath)
    if (await removeIfEmpty(bucket)) await removeIfEmpty(dirname(bucket))
  }
}
