import { type FileHandle, open } from 'node:fs/promises'
import {
  constantTimeEqual,
  hashLeaseSecret,
  type LeaseRequest,
  newStoredLease,
  type StoredLease,
} from './lease.ts'
import { readAt, readU32, readU64, u32, u64, writeAt } from './random-access-file.ts'
import { storageServerError } from './storage-server-error.ts'

/**
 * Tahoe-LAFS's mutable share container (allmydata/storage/mutable.py), big-endian:
 *
 *    0   32  magic: "Tahoe mutable container v2\n" + 5 tag bytes (v1 has other tag bytes)
 *   32   20  node id of the server that recorded the write enabler
 *   52   32  write enabler (in clear)
 *   84    8  share data length
 *   92    8  offset of the extra-lease count (468 + the container's data capacity)
 *  100  368  four lease slots of 92 bytes: owner (4, 0 = empty), expiry (4), renew secret (32),
 *            cancel secret (32), node id (20); v2 stores the secrets as BLAKE2b-256 hashes
 *  468    n  share data
 *   ...   4  number of extra leases, followed by those leases (92 bytes each)
 *
 * The container grows when data is written past its capacity (the extra leases move behind the
 * data) and never shrinks; a smaller new length only lowers the data length. Writes past the end
 * fill the gap with zeros. This class applies those rules exactly as Tahoe does, so a file written
 * here is byte-for-byte the file Tahoe would write.
 */
export const MUTABLE_MAGIC_V2 = Buffer.from(
  '5461686f65206d757461626c6520636f6e7461696e65722076320ac355219925',
  'hex',
)
export const MUTABLE_MAGIC_V1 = Buffer.concat([
  Buffer.from('Tahoe mutable container v1\n', 'ascii'),
  Buffer.from('750944038e', 'hex'),
])
export const MUTABLE_HEADER_BYTES = 100
export const MUTABLE_LEASE_BYTES = 92
export const MUTABLE_LEASE_SLOTS = 4
export const MUTABLE_DATA_OFFSET = MUTABLE_HEADER_BYTES + MUTABLE_LEASE_SLOTS * MUTABLE_LEASE_BYTES
/** Tahoe's (arbitrary) limit on a mutable share: 69105 TB. */
export const MAX_MUTABLE_SHARE_SIZE = 69105n * 1000n ** 4n
export const NODE_ID_BYTES = 20
export const WRITE_ENABLER_BYTES = 32

const DATA_LENGTH_OFFSET = 84
const EXTRA_LEASE_OFFSET_OFFSET = 92

export function mutableContainerVersion(first: Uint8Array): 1 | 2 | undefined {
  if (first.length < 32) return undefined
  const magic = Buffer.from(first.buffer, first.byteOffset, 32)
  if (magic.equals(MUTABLE_MAGIC_V2)) return 2
  if (magic.equals(MUTABLE_MAGIC_V1)) return 1
  return undefined
}

/** The bytes of a new, empty version 2 container. */
export function newMutableContainer(nodeId: Uint8Array, writeEnabler: Uint8Array): Uint8Array {
  const b = Buffer.alloc(MUTABLE_DATA_OFFSET + 4)
  b.set(MUTABLE_MAGIC_V2, 0)
  b.set(nodeId, 32)
  b.set(writeEnabler, 52)
  b.writeBigUInt64BE(0n, DATA_LENGTH_OFFSET)
  b.writeBigUInt64BE(BigInt(MUTABLE_DATA_OFFSET), EXTRA_LEASE_OFFSET_OFFSET)
  return b
}

export function encodeMutableLease(lease: StoredLease): Uint8Array {
  const b = Buffer.alloc(MUTABLE_LEASE_BYTES)
  b.writeUInt32BE(lease.ownerNumber, 0)
  b.writeUInt32BE(lease.expiresAt, 4)
  b.set(lease.renewSecret, 8)
  b.set(lease.cancelSecret, 40)
  b.set(lease.nodeId ?? new Uint8Array(NODE_ID_BYTES), 72)
  return b
}

export function decodeMutableLease(bytes: Uint8Array): StoredLease {
  return {
    ownerNumber: readU32(bytes, 0),
    expiresAt: readU32(bytes, 4),
    renewSecret: bytes.slice(8, 40),
    cancelSecret: bytes.slice(40, 72),
    nodeId: bytes.slice(72, 92),
  }
}

/** An open mutable container; every method reads the fields it needs from the file, like Tahoe. */
export class MutableShareFile {
  readonly handle: FileHandle
  readonly version: 1 | 2

  private constructor(handle: FileHandle, version: 1 | 2) {
    this.handle = handle
    this.version = version
  }

  static async open(path: string, flags: 'r' | 'r+' = 'r'): Promise<MutableShareFile> {
    const handle = await open(path, flags)
    try {
      const version = mutableContainerVersion(await readAt(handle, 0, 32))
      if (version === undefined)
        throw storageServerError('CORRUPT_CONTAINER', 'not a mutable share container')
      return new MutableShareFile(handle, version)
    } catch (err) {
      await handle.close()
      throw err
    }
  }

  get hashedSecrets(): boolean {
    return this.version >= 2
  }

  async writeEnabler(): Promise<{ writeEnabler: Uint8Array; nodeId: Uint8Array }> {
    const h = await this.#read(32, 52)
    return { nodeId: h.slice(0, 20), writeEnabler: h.slice(20, 52) }
  }

  async dataLength(): Promise<number> {
    return readU64(await this.#read(DATA_LENGTH_OFFSET, 8), 0)
  }

  async #extraLeaseOffset(): Promise<number> {
    return readU64(await this.#read(EXTRA_LEASE_OFFSET_OFFSET, 8), 0)
  }

  async #extraLeaseCount(): Promise<number> {
    return readU32(await this.#read(await this.#extraLeaseOffset(), 4), 0)
  }

  async #read(position: number, length: number): Promise<Uint8Array> {
    const bytes = await readAt(this.handle, position, length)
    if (bytes.length !== length)
      throw storageServerError('CORRUPT_CONTAINER', 'mutable container is truncated')
    return bytes
  }

  /** Share data; reads past the end are cut short. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const dataLength = await this.dataLength()
    const n = Math.max(0, Math.min(length, dataLength - offset))
    if (n === 0) return new Uint8Array(0)
    return this.#read(MUTABLE_DATA_OFFSET + offset, n)
  }

  /** Tahoe's _write_share_data: grow the container (moving the extra leases) when needed. */
  async write(offset: number, data: Uint8Array): Promise<void> {
    const dataLength = await this.dataLength()
    const end = offset + data.length
    if (end >= dataLength) {
      if (BigInt(end) > MAX_MUTABLE_SHARE_SIZE)
        throw storageServerError('TOO_LARGE', 'mutable share too large')
      if (MUTABLE_DATA_OFFSET + end > (await this.#extraLeaseOffset())) await this.#growContainer(end)
      if (offset > dataLength) {
        await writeAt(this.handle, MUTABLE_DATA_OFFSET + dataLength, new Uint8Array(offset - dataLength))
      }
      await writeAt(this.handle, DATA_LENGTH_OFFSET, u64(end))
    }
    await writeAt(this.handle, MUTABLE_DATA_OFFSET + offset, data)
  }

  async #growContainer(newCapacity: number): Promise<void> {
    const oldOffset = await this.#extraLeaseOffset()
    const newOffset = MUTABLE_DATA_OFFSET + newCapacity
    if (newOffset < oldOffset) return
    const count = await this.#extraLeaseCount()
    const size = 4 + count * MUTABLE_LEASE_BYTES
    const extra = await this.#read(oldOffset, size)
    await writeAt(this.handle, oldOffset, new Uint8Array(size))
    await writeAt(this.handle, newOffset, extra)
    await writeAt(this.handle, EXTRA_LEASE_OFFSET_OFFSET, u64(newOffset))
  }

  /** A new length only ever shrinks the data (Tahoe ignores a larger one). */
  async truncate(newLength: number): Promise<void> {
    if (newLength < (await this.dataLength())) await writeAt(this.handle, DATA_LENGTH_OFFSET, u64(newLength))
  }

  async #leaseSlotOffset(slot: number): Promise<number> {
    if (slot < MUTABLE_LEASE_SLOTS) return MUTABLE_HEADER_BYTES + slot * MUTABLE_LEASE_BYTES
    return (await this.#extraLeaseOffset()) + 4 + (slot - MUTABLE_LEASE_SLOTS) * MUTABLE_LEASE_BYTES
  }

  /** Every lease slot in use, with its slot number. */
  async leases(): Promise<{ slot: number; lease: StoredLease }[]> {
    const slots = MUTABLE_LEASE_SLOTS + (await this.#extraLeaseCount())
    const out: { slot: number; lease: StoredLease }[] = []
    for (let slot = 0; slot < slots; slot++) {
      const lease = decodeMutableLease(
        await this.#read(await this.#leaseSlotOffset(slot), MUTABLE_LEASE_BYTES),
      )
      if (lease.ownerNumber !== 0) out.push({ slot, lease })
    }
    return out
  }

  /**
   * Renews the lease whose renew secret matches (only moving its expiry later) or puts a new lease
   * in the first empty slot, adding an extra slot (92 bytes, if `mayGrow` allows) when all are full.
   */
  async addOrRenewLease(
    request: LeaseRequest,
    options: {
      ownerNumber: number
      expiresAt: number
      nodeId: Uint8Array
      mayGrow: (bytes: number) => boolean
    },
  ): Promise<'renewed' | 'added' | 'unchanged'> {
    const candidate = this.hashedSecrets ? hashLeaseSecret(request.renewSecret) : request.renewSecret
    const used = await this.leases()
    for (const { slot, lease } of used) {
      if (!constantTimeEqual(lease.renewSecret, candidate)) continue
      if (options.expiresAt <= lease.expiresAt) return 'unchanged'
      await writeAt(
        this.handle,
        await this.#leaseSlotOffset(slot),
        encodeMutableLease({ ...lease, expiresAt: options.expiresAt }),
      )
      return 'renewed'
    }
    const lease = encodeMutableLease(
      newStoredLease(request, {
        ownerNumber: options.ownerNumber,
        expiresAt: options.expiresAt,
        hashed: this.hashedSecrets,
        nodeId: options.nodeId,
      }),
    )
    const extraCount = await this.#extraLeaseCount()
    const slots = MUTABLE_LEASE_SLOTS + extraCount
    const usedSlots = new Set(used.map((u) => u.slot))
    let slot = 0
    while (slot < slots && usedSlots.has(slot)) slot++
    if (slot === slots) {
      if (!options.mayGrow(MUTABLE_LEASE_BYTES)) {
        throw storageServerError('NO_SPACE', 'no space for another lease on this share')
      }
      await writeAt(this.handle, await this.#extraLeaseOffset(), u32(extraCount + 1))
    }
    await writeAt(this.handle, await this.#leaseSlotOffset(slot), lease)
    return 'added'
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}

/** A write enabler must match the one recorded in the container (compared in constant time). */
export function writeEnablerMatches(recorded: Uint8Array, presented: Uint8Array): boolean {
  return constantTimeEqual(recorded, presented)
}
