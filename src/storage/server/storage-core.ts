import { mkdir, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from '../../util/logger.ts'
import { TypedEmitter } from '../../util/typed-emitter.ts'
import { VERSION } from '../../util/version.ts'
import { BucketWriter, type ShareData, type WriteResult } from './bucket-writer.ts'
import { writeCorruptionReport } from './corruption-advisories.ts'
import {
  IMMUTABLE_HEADER_BYTES,
  IMMUTABLE_LEASE_BYTES,
  ImmutableShareFile,
  immutableContainerSize,
} from './immutable-container.ts'
import { KeyedMutex } from './keyed-mutex.ts'
import {
  ALLOCATION_LEASE_OWNER,
  CLIENT_LEASE_OWNER,
  LEASE_SECRET_BYTES,
  type LeaseRequest,
  leaseExpiry,
  newStoredLease,
} from './lease.ts'
import { MAX_MUTABLE_SHARE_SIZE, MUTABLE_DATA_OFFSET, MutableShareFile } from './mutable-container.ts'
import { commitRewrite, prepareMutableRewrite } from './mutable-rewrite.ts'
import { exists, notFoundOr, sharesOfKind } from './share-files.ts'
import { type ShareReader, shareReader } from './share-reader.ts'
import { slotReadTestWrite } from './slot-read-test-write.ts'
import { type DiskFree, diskFree, SpaceAccounting } from './space-accounting.ts'
import { checkShareNumber, normalizeStorageIndex } from './storage-index.ts'
import {
  incomingPath,
  loadOrCreateNodeId,
  prepareStorageDirectory,
  type StorageLayout,
  scanShares,
  sharePath,
  storageLayout,
} from './storage-layout.ts'
import { storageServerError, storageServerErrorKind } from './storage-server-error.ts'
import type {
  AllocateRequest,
  AllocateResult,
  ReadTestWriteResult,
  ReadVector,
  ShareKind,
  SlotSecrets,
  StorageCoreEvents,
  StorageStats,
  StorageVersion,
  TestWriteVectors,
} from './types.ts'
import { UploadRegistry } from './upload-registry.ts'

/** Tahoe aborts an upload that receives no write for 30 minutes. */
const DEFAULT_UPLOAD_IDLE_MS = 30 * 60 * 1000

export interface StorageCoreInit {
  /** the storage directory (docs/storage-server.md) */
  directory: string
  /** bytes of share files this server may hold; unset: what the disk allows */
  capacity?: number
  /** bytes to keep free on the disk */
  reservedSpace?: number
  /** the 20-byte id written into mutable containers; unset: made once and kept in `node-id` */
  nodeId?: Uint8Array
  /** an upload with no write for this long is aborted (default 30 minutes) */
  uploadIdleTimeoutMs?: number
  /** reported as `application-version` (default `cloudy/<version>`) */
  applicationVersion?: string
}

export interface StorageCoreComponents {
  logger: Logger
  /** milliseconds since the epoch (lease expiry, report names) */
  clock?: () => number
  /** free bytes of the disk (tests stub it) */
  diskFree?: DiskFree
}

type SiInput = Uint8Array | string

/**
 * The protocol-free storage server (Tahoe's StorageServer): immutable buckets with uploads at
 * offsets, mutable slots with read-test-write, leases, corruption advisories, all kept in Tahoe's
 * own share containers and directory layout. The HTTP adapter (http-server.ts) is a thin layer over
 * this; nothing here knows about HTTP.
 */
export class StorageCore {
  readonly events = new TypedEmitter<StorageCoreEvents>()
  readonly layout: StorageLayout
  readonly nodeId: Uint8Array
  readonly #init: StorageCoreInit
  readonly #logger: Logger
  readonly #clock: () => number
  readonly #space: SpaceAccounting
  readonly #uploads: UploadRegistry
  readonly #bucketLock = new KeyedMutex()
  readonly #uploadLock = new KeyedMutex()
  readonly #counters = {
    immutableSharesStored: 0,
    mutableWrites: 0,
    bytesWritten: 0,
    uploadsAborted: 0,
    corruptionReports: 0,
  }
  #closed = false

  private constructor(
    init: StorageCoreInit,
    components: StorageCoreComponents,
    layout: StorageLayout,
    nodeId: Uint8Array,
  ) {
    this.#init = init
    this.#logger = components.logger
    this.#clock = components.clock ?? Date.now
    this.layout = layout
    this.nodeId = nodeId
    this.#space = new SpaceAccounting(
      { capacity: init.capacity, reservedSpace: init.reservedSpace },
      layout.shares,
      components.diskFree ?? diskFree,
    )
    this.#uploads = new UploadRegistry(
      this.#space,
      init.uploadIdleTimeoutMs ?? DEFAULT_UPLOAD_IDLE_MS,
      (writer) => {
        this.#logger.info(
          { storageIndex: writer.storageIndex, shareNumber: writer.shareNumber },
          'idle upload aborted',
        )
        void this.#uploadLock
          .run(UploadRegistry.key(writer.storageIndex, writer.shareNumber), () =>
            this.#dropUpload(writer, 'idle'),
          )
          .catch(() => {})
      },
    )
  }

  /** Opens (or creates) a storage directory: checks its layout, drops incomplete uploads, counts shares. */
  static async open(init: StorageCoreInit, components: StorageCoreComponents): Promise<StorageCore> {
    const layout = storageLayout(init.directory)
    await prepareStorageDirectory(layout)
    const nodeId = await loadOrCreateNodeId(layout, init.nodeId)
    const core = new StorageCore(init, components, layout, nodeId)
    const { shares, bytes } = await scanShares(layout)
    core.#space.setInitial(shares, bytes)
    components.logger.info({ shares, bytes }, 'storage opened')
    return core
  }

  /** Aborts the uploads in progress; later calls fail with CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const writer of this.#uploads.all()) {
      await this.#uploadLock.run(UploadRegistry.key(writer.storageIndex, writer.shareNumber), () =>
        this.#dropUpload(writer, 'closed'),
      )
    }
  }

  stats(): StorageStats {
    return {
      shares: this.#space.shareCount,
      bytesUsed: this.#space.bytesUsed,
      uploadsInProgress: this.#uploads.size,
      bytesPromised: this.#space.promised,
      capacity: this.#space.capacity,
      reservedSpace: this.#space.reservedSpace,
      counters: { ...this.#counters },
    }
  }

  async version(): Promise<StorageVersion> {
    this.#checkOpen()
    const available = await this.#space.available()
    return {
      maximumImmutableShareSize: available,
      maximumMutableShareSize: MAX_MUTABLE_SHARE_SIZE,
      availableSpace: available,
      applicationVersion: this.#init.applicationVersion ?? `cloudy/${VERSION}`,
    }
  }

  // ---- immutable ------------------------------------------------------------------------------

  /**
   * Creates buckets for the asked shares that are neither held nor being uploaded, as far as the
   * space allows (a share that does not fit is simply not in `allocated`, as in Tahoe). Shares
   * already held get the client's lease renewed or added. Asking again with the same upload secret
   * answers the same (uploads in progress under that secret are `allocated` again).
   */
  async allocateBuckets(storageIndex: SiInput, request: AllocateRequest): Promise<AllocateResult> {
    this.#checkOpen()
    const si = normalizeStorageIndex(storageIndex).text
    const numbers = [...new Set([...request.shareNumbers].map(checkShareNumber))].sort((a, b) => a - b)
    const size = request.allocatedSize
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw storageServerError('BAD_REQUEST', 'the allocated size is a positive integer', {
        allocatedSize: size,
      })
    }
    checkLeaseSecrets(request)
    if (request.uploadSecret.length === 0)
      throw storageServerError('BAD_REQUEST', 'the upload secret is empty')
    return this.#bucketLock.run(si, async () => {
      const held = await sharesOfKind(this.layout, si, 'immutable')
      let available = await this.#space.available()
      const expiresAt = leaseExpiry(this.#clock())
      for (const n of held) {
        const file = await ImmutableShareFile.open(sharePath(this.layout, si, n), 'r+')
        try {
          const before = file.leaseCount
          await file.addOrRenewLease(request, {
            ownerNumber: ALLOCATION_LEASE_OWNER,
            expiresAt,
            mayGrow: (bytes) => bytes <= available,
          })
          const grown = (file.leaseCount - before) * IMMUTABLE_LEASE_BYTES
          this.#space.shareResized(grown)
          available -= grown
        } finally {
          await file.close()
        }
      }
      const allocated: number[] = []
      for (const n of numbers) {
        if (held.includes(n)) continue
        const upload = this.#uploads.get(si, n)
        if (upload !== undefined) {
          if (upload.hasUploadSecret(request.uploadSecret)) allocated.push(n)
          continue
        }
        if (await exists(sharePath(this.layout, si, n))) continue // a share of the other kind
        const need = immutableContainerSize(size)
        if (need > available) continue
        const path = incomingPath(this.layout, si, n)
        const lease = newStoredLease(request, {
          ownerNumber: ALLOCATION_LEASE_OWNER,
          expiresAt,
          hashed: true,
        })
        const create = async () => {
          await mkdir(dirname(path), { recursive: true })
          return BucketWriter.create(
            {
              storageIndex: si,
              shareNumber: n,
              allocatedSize: size,
              incomingPath: path,
              finalPath: sharePath(this.layout, si, n),
              uploadSecret: new Uint8Array(request.uploadSecret),
            },
            lease,
          )
        }
        // an upload of another index with the same prefix may remove the prefix directory meanwhile
        const writer = await create().catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return create()
          throw err
        })
        available -= need
        this.#uploads.add(writer)
        allocated.push(n)
      }
      return { alreadyHave: held, allocated }
    })
  }

  /**
   * Writes `length` bytes at `offset` of an upload in progress (`data` is the bytes or a stream of
   * them). Returns once they are on disk; when the share is complete it is in shares/ by then.
   */
  async writeImmutable(
    storageIndex: SiInput,
    shareNumber: number,
    uploadSecret: Uint8Array,
    offset: number,
    length: number,
    data: ShareData,
  ): Promise<WriteResult> {
    this.#checkOpen()
    const si = normalizeStorageIndex(storageIndex).text
    const key = UploadRegistry.key(si, shareNumber)
    const writer = this.#uploads.writerFor(si, shareNumber, uploadSecret)
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length <= 0) {
      throw storageServerError('BAD_REQUEST', 'a write has a non-negative offset and a positive length')
    }
    return this.#uploadLock.run(key, async () => {
      if (writer.closed) throw storageServerError('NOT_FOUND', 'this upload is no longer in progress')
      const first = writer.writes === 0
      const result = await writer.write(offset, length, data)
      this.#counters.bytesWritten += length
      this.#uploads.touch(writer)
      if (first) this.events.emit('share:write-received', { storageIndex: si, shareNumber, offset, length })
      if (result.complete) await this.#bucketLock.run(si, () => this.#finishUpload(writer))
      return result
    })
  }

  /** Throws an upload in progress away. 405-like ALREADY_COMPLETE when the share is complete. */
  async abortImmutable(storageIndex: SiInput, shareNumber: number, uploadSecret: Uint8Array): Promise<void> {
    this.#checkOpen()
    const si = normalizeStorageIndex(storageIndex).text
    let writer: BucketWriter
    try {
      writer = this.#uploads.writerFor(si, shareNumber, uploadSecret)
    } catch (err) {
      if (storageServerErrorKind(err) === 'NOT_FOUND') {
        if ((await sharesOfKind(this.layout, si, 'immutable')).includes(shareNumber)) {
          throw storageServerError('ALREADY_COMPLETE', 'this share is complete; it cannot be aborted')
        }
      }
      throw err
    }
    await this.#uploadLock.run(UploadRegistry.key(si, shareNumber), () => this.#dropUpload(writer, 'client'))
  }

  async listImmutableShares(storageIndex: SiInput): Promise<number[]> {
    this.#checkOpen()
    return sharesOfKind(this.layout, normalizeStorageIndex(storageIndex).text, 'immutable')
  }

  /** A reader of a complete immutable share; NOT_FOUND when there is none. */
  async openImmutableShare(storageIndex: SiInput, shareNumber: number): Promise<ShareReader> {
    this.#checkOpen()
    const si = normalizeStorageIndex(storageIndex).text
    checkShareNumber(shareNumber)
    let file: ImmutableShareFile
    try {
      file = await ImmutableShareFile.open(sharePath(this.layout, si, shareNumber))
    } catch (err) {
      throw notFoundOr(err, 'no such immutable share')
    }
    return shareReader(file.handle, IMMUTABLE_HEADER_BYTES, file.dataLength)
  }

  // ---- mutable --------------------------------------------------------------------------------

  /** Tahoe's slot_testv_and_readv_and_writev (see slot-read-test-write.ts). */
  async readTestWrite(
    storageIndex: SiInput,
    secrets: SlotSecrets,
    vectors: Map<number, TestWriteVectors>,
    readVector: ReadVector[],
  ): Promise<ReadTestWriteResult> {
    this.#checkOpen()
    const si = normalizeStorageIndex(storageIndex).text
    checkLeaseSecrets(secrets)
    if (secrets.writeEnabler.length !== 32)
      throw storageServerError('BAD_REQUEST', 'a write enabler is 32 bytes')
    for (const [n, v] of vectors) {
      checkShareNumber(n)
      for (const t of v.test) checkSpan(t.offset, t.size)
      for (const w of v.write) checkSpan(w.offset, w.data.length)
      if (v.newLength !== null) checkSpan(v.newLength, 0)
    }
    for (const r of readVector) checkSpan(r.offset, r.size)
    return this.#bucketLock.run(si, async () => {
      if ((await sharesOfKind(this.layout, si, 'immutable')).length > 0 || this.#uploads.countFor(si) > 0) {
        throw storageServerError('WRONG_SHARE_KIND', 'this storage index holds immutable shares')
      }
      const { result, changes } = await slotReadTestWrite(
        {
          layout: this.layout,
          nodeId: this.nodeId,
          space: this.#space,
          leaseExpiry: () => leaseExpiry(this.#clock()),
        },
        si,
        secrets,
        vectors,
        readVector,
      )
      for (const c of changes) {
        if (c.change === 'deleted') {
          this.#space.shareRemoved(c.previousSize)
          this.events.emit('share:deleted', { kind: 'mutable', storageIndex: si, shareNumber: c.shareNumber })
          continue
        }
        if (c.previousSize === 0) this.#space.shareAdded(c.size)
        else this.#space.shareResized(c.size - c.previousSize)
        this.#counters.mutableWrites++
        this.events.emit('share:stored', {
          kind: 'mutable',
          storageIndex: si,
          shareNumber: c.shareNumber,
          size: c.size,
        })
      }
      return result
    })
  }

  async listMutableShares(storageIndex: SiInput): Promise<number[]> {
    this.#checkOpen()
    return sharesOfKind(this.layout, normalizeStorageIndex(storageIndex).text, 'mutable')
  }

  /** A reader of the current version of a mutable share; NOT_FOUND when there is none. */
  async openMutableShare(storageIndex: SiInput, shareNumber: number): Promise<ShareReader> {
    this.#checkOpen()
    const si = normalizeStorageIndex(storageIndex).text
    checkShareNumber(shareNumber)
    let file: MutableShareFile
    try {
      file = await MutableShareFile.open(sharePath(this.layout, si, shareNumber))
    } catch (err) {
      throw notFoundOr(err, 'no such mutable share')
    }
    try {
      return shareReader(file.handle, MUTABLE_DATA_OFFSET, await file.dataLength())
    } catch (err) {
      await file.close()
      throw err
    }
  }

  // ---- both kinds -----------------------------------------------------------------------------

  /**
   * Renews the client's lease on every share of the storage index (matched by renew secret) or
   * adds one. NOT_FOUND when the storage index holds no shares.
   */
  async addOrRenewLease(storageIndex: SiInput, lease: LeaseRequest): Promise<void> {
    this.#checkOpen()
    const si = normalizeStorageIndex(storageIndex).text
    checkLeaseSecrets(lease)
    await this.#bucketLock.run(si, async () => {
      const immutable = await sharesOfKind(this.layout, si, 'immutable')
      const mutable = await sharesOfKind(this.layout, si, 'mutable')
      if (immutable.length + mutable.length === 0) {
        throw storageServerError('NOT_FOUND', 'no shares are held for this storage index')
      }
      let available = await this.#space.available()
      const expiresAt = leaseExpiry(this.#clock())
      const mayGrow = (bytes: number) => bytes <= available
      for (const n of immutable) {
        const file = await ImmutableShareFile.open(sharePath(this.layout, si, n), 'r+')
        try {
          if (
            (await file.addOrRenewLease(lease, { ownerNumber: CLIENT_LEASE_OWNER, expiresAt, mayGrow })) ===
            'added'
          ) {
            this.#space.shareResized(IMMUTABLE_LEASE_BYTES)
            available -= IMMUTABLE_LEASE_BYTES
          }
        } finally {
          await file.close()
        }
      }
      if (mutable.length > 0) await this.#renewMutableLeases(si, mutable, lease, expiresAt, mayGrow)
    })
  }

  /**
   * Keeps a client's report that a share is corrupt: logged, written to corruption-advisories/
   * (when there is room for it) and emitted. NOT_FOUND when the share is not held.
   */
  async adviseCorruptShare(kind: ShareKind, storageIndex: SiInput, shareNumber: number, reason: string) {
    this.#checkOpen()
    const si = normalizeStorageIndex(storageIndex).text
    checkShareNumber(shareNumber)
    if (!(await sharesOfKind(this.layout, si, kind)).includes(shareNumber)) {
      throw storageServerError('NOT_FOUND', `no such ${kind} share`)
    }
    this.#logger.warn({ kind, storageIndex: si, shareNumber, reason }, 'a client reports a corrupt share')
    this.#counters.corruptionReports++
    let file: string | undefined
    if (Buffer.byteLength(reason) + 200 <= (await this.#space.available())) {
      file = await writeCorruptionReport(this.layout.advisories, new Date(this.#clock()), {
        kind,
        storageIndex: si,
        shareNumber,
        reason,
      })
    }
    this.events.emit('corruption:reported', { kind, storageIndex: si, shareNumber, reason, file })
  }

  // ---- internals ------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw storageServerError('CLOSED', 'the storage server is closed')
  }

  async #dropUpload(writer: BucketWriter, reason: 'client' | 'idle' | 'closed'): Promise<void> {
    if (writer.closed) return
    this.#uploads.forget(writer)
    await writer.abort()
    this.#counters.uploadsAborted++
    this.events.emit('upload:aborted', {
      storageIndex: writer.storageIndex,
      shareNumber: writer.shareNumber,
      reason,
    })
  }

  async #finishUpload(writer: BucketWriter): Promise<void> {
    if (await exists(writer.finalPath)) {
      await this.#dropUpload(writer, 'client')
      throw storageServerError('WRITE_CONFLICT', 'another share took this place meanwhile')
    }
    this.#uploads.forget(writer)
    await writer.finish()
    const size = (await stat(writer.finalPath)).size
    this.#space.shareAdded(size)
    this.#counters.immutableSharesStored++
    this.events.emit('share:stored', {
      kind: 'immutable',
      storageIndex: writer.storageIndex,
      shareNumber: writer.shareNumber,
      size,
    })
  }

  /** Lease changes to mutable shares are atomic rewrites too (mutable-rewrite.ts). */
  async #renewMutableLeases(
    si: string,
    shares: number[],
    lease: LeaseRequest,
    expiresAt: number,
    mayGrow: (bytes: number) => boolean,
  ): Promise<void> {
    for (const n of shares) {
      const path = sharePath(this.layout, si, n)
      const prepared = await prepareMutableRewrite(this.layout.tmp, { path }, async (file) => {
        await file.addOrRenewLease(lease, {
          ownerNumber: CLIENT_LEASE_OWNER,
          expiresAt,
          nodeId: this.nodeId,
          mayGrow,
        })
      })
      await commitRewrite(prepared, path)
      this.#space.shareResized(prepared.size - prepared.previousSize)
    }
  }
}

function checkLeaseSecrets(s: LeaseRequest): void {
  if (s.renewSecret.length !== LEASE_SECRET_BYTES || s.cancelSecret.length !== LEASE_SECRET_BYTES) {
    throw storageServerError('BAD_REQUEST', 'lease secrets are 32 bytes')
  }
}

function checkSpan(offset: number, size: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(size) || size < 0) {
    throw storageServerError('BAD_REQUEST', 'offsets and sizes are non-negative integers')
  }
}
