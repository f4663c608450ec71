import type { BucketWriter } from './bucket-writer.ts'
import { immutableContainerSize } from './immutable-container.ts'
import type { SpaceAccounting } from './space-accounting.ts'
import { storageServerError } from './storage-server-error.ts'

/**
 * The immutable uploads in progress, one per (storage index, share number), each with the space
 * promised to it and an idle timer that fires `onIdle` when no write came for `idleMs`.
 */
export class UploadRegistry {
  readonly #uploads = new Map<string, { writer: BucketWriter; timer: NodeJS.Timeout | undefined }>()
  readonly #space: SpaceAccounting
  readonly #idleMs: number
  readonly #onIdle: (writer: BucketWriter) => void

  constructor(space: SpaceAccounting, idleMs: number, onIdle: (writer: BucketWriter) => void) {
    this.#space = space
    this.#idleMs = idleMs
    this.#onIdle = onIdle
  }

  static key(si: string, shareNumber: number): string {
    return `${si}/${shareNumber}`
  }

  get size(): number {
    return this.#uploads.size
  }

  all(): BucketWriter[] {
    return [...this.#uploads.values()].map((u) => u.writer)
  }

  get(si: string, shareNumber: number): BucketWriter | undefined {
    return this.#uploads.get(UploadRegistry.key(si, shareNumber))?.writer
  }

  countFor(si: string): number {
    let n = 0
    for (const { writer } of this.#uploads.values()) if (writer.storageIndex === si) n++
    return n
  }

  /** The upload of a share: WRONG_UPLOAD_SECRET for another secret, NOT_FOUND when none. */
  writerFor(si: string, shareNumber: number, uploadSecret: Uint8Array): BucketWriter {
    const writer = this.get(si, shareNumber)
    if (writer === undefined) throw storageServerError('NOT_FOUND', 'no upload of this share is in progress')
    if (!writer.hasUploadSecret(uploadSecret)) {
      throw storageServerError('WRONG_UPLOAD_SECRET', 'the upload secret does not match this upload')
    }
    return writer
  }

  /** Tracks a new upload and promises it its whole container. */
  add(writer: BucketWriter): void {
    this.#uploads.set(UploadRegistry.key(writer.storageIndex, writer.shareNumber), {
      writer,
      timer: undefined,
    })
    this.#space.promise(immutableContainerSize(writer.allocatedSize))
    this.touch(writer)
  }

  /** Restarts the idle timer of an upload (on every write). */
  touch(writer: BucketWriter): void {
    const upload = this.#uploads.get(UploadRegistry.key(writer.storageIndex, writer.shareNumber))
    if (upload?.writer !== writer) return
    if (upload.timer !== undefined) clearTimeout(upload.timer)
    upload.timer = setTimeout(() => this.#onIdle(writer), this.#idleMs)
    upload.timer.unref()
  }

  /** Stops tracking an upload (complete or aborted) and releases its promised space. */
  forget(writer: BucketWriter): void {
    const key = UploadRegistry.key(writer.storageIndex, writer.shareNumber)
    const upload = this.#uploads.get(key)
    if (upload?.writer !== writer) return
    if (upload.timer !== undefined) clearTimeout(upload.timer)
    this.#uploads.delete(key)
    this.#space.release(immutableContainerSize(writer.allocatedSize))
  }
}
