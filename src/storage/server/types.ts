import type { ByteRange } from './range-set.ts'

export type ShareKind = 'immutable' | 'mutable'

/** Typed events of the storage core (names `domain:past-verb`). */
export type StorageCoreEvents = {
  /** a share became complete (immutable) or a new version of it was written (mutable) */
  'share:stored': { kind: ShareKind; storageIndex: string; shareNumber: number; size: number }
  /** the first write of an immutable upload reached the disk */
  'share:write-received': { storageIndex: string; shareNumber: number; offset: number; length: number }
  /** a mutable share was deleted by a write of new length 0 */
  'share:deleted': { kind: ShareKind; storageIndex: string; shareNumber: number }
  /** an upload in progress was thrown away */
  'upload:aborted': { storageIndex: string; shareNumber: number; reason: 'client' | 'idle' | 'closed' }
  /** a client reported a share as corrupt; `file` is where the report was kept */
  'corruption:reported': {
    kind: ShareKind
    storageIndex: string
    shareNumber: number
    reason: string
    file: string | undefined
  }
}

export interface StorageVersion {
  maximumImmutableShareSize: number
  maximumMutableShareSize: bigint
  availableSpace: number
  applicationVersion: string
}

export interface AllocateRequest {
  shareNumbers: Iterable<number>
  /** bytes of share data each share will hold */
  allocatedSize: number
  uploadSecret: Uint8Array
  renewSecret: Uint8Array
  cancelSecret: Uint8Array
}

export interface AllocateResult {
  /** every immutable share of this storage index already held (not only those asked for) */
  alreadyHave: number[]
  /** the shares the client may now upload */
  allocated: number[]
}

export type { ByteRange }

export interface TestVector {
  offset: number
  size: number
  /** the test passes when the `size` bytes at `offset` (cut at the end of the data) equal this */
  specimen: Uint8Array
}

export interface WriteVector {
  offset: number
  data: Uint8Array
}

export interface TestWriteVectors {
  test: TestVector[]
  write: WriteVector[]
  /** a smaller length truncates the data, 0 deletes the share, null (or a larger one) changes nothing */
  newLength: number | null
}

export interface ReadVector {
  offset: number
  size: number
}

export interface SlotSecrets {
  writeEnabler: Uint8Array
  renewSecret: Uint8Array
  cancelSecret: Uint8Array
}

export interface ReadTestWriteResult {
  /** whether every test passed (and so the writes were made) */
  success: boolean
  /** for every share that existed before the writes, the read vector's results */
  data: Map<number, Uint8Array[]>
}

export interface StorageStats {
  /** share files in shares/ */
  shares: number
  /** bytes of those files */
  bytesUsed: number
  uploadsInProgress: number
  /** bytes promised to uploads in progress */
  bytesPromised: number
  capacity: number | undefined
  reservedSpace: number
  /** totals since start */
  counters: {
    immutableSharesStored: number
    mutableWrites: number
    bytesWritten: number
    uploadsAborted: number
    corruptionReports: number
  }
}
