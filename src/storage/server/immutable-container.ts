import { type FileHandle, open } from 'node:fs/promises'
import {
  constantTimeEqual,
  hashLeaseSecret,
  type LeaseRequest,
  newStoredLease,
  type StoredLease,
} from './lease.ts'
import { readAt, readU32, u32, writeAt } from './random-access-file.ts'
import { storageServerError } from './storage-server-error.ts'

/**
 * Tahoe-LAFS's immutable share container (allmydata/storage/immutable.py), big-endian:
 *
 *   0  4  container version: 2 (lease secrets stored as BLAKE2b-256 hashes) or 1 (in clear)
 *   4  4  share data length, saturated at 2^32-1 (written for old servers, never read)
 *   8  4  number of leases
 *  12  n  share data: the bytes the client uploaded
 * 12+n    leases, 72 bytes each: owner (4), renew secret (32), cancel secret (32), expiry (4)
 *
 * The data length is the file size minus the header and the leases. New containers are version 2.
 */
export const IMMUTABLE_HEADER_BYTES = 12
export const IMMUTABLE_LEASE_BYTES = 72
export const IMMUTABLE_CONTAINER_VERSION = 2

/** Bytes a container of `dataLength` bytes of share data and one lease takes on disk. */
export function immutableContainerSize(dataLength: number, leases = 1): number {
  return IMMUTABLE_HEADER_BYTES + dataLength + leases * IMMUTABLE_LEASE_BYTES
}

export function immutableHeader(dataLength: number, leaseCount: number): Uint8Array {
  const b = Buffer.alloc(IMMUTABLE_HEADER_BYTES)
  b.writeUInt32BE(IMMUTABLE_CONTAINER_VERSION, 0)
  b.writeUInt32BE(Math.min(0xffffffff, dataLength), 4)
  b.writeUInt32BE(leaseCount, 8)
  return b
}

/** Whether the first bytes of a file are those of an immutable container this code reads. */
export function isImmutableContainerHeader(first: Uint8Array): boolean {
  if (first.length < 4) return false
  const version = readU32(first, 0)
  return version === 1 || version === 2
}

export function encodeImmutableLease(lease: StoredLease): Uint8Array {
  const b = Buffer.alloc(IMMUTABLE_LEASE_BYTES)
  b.writeUInt32BE(lease.ownerNumber, 0)
  b.set(lease.renewSecret, 4)
  b.set(lease.cancelSecret, 36)
  b.writeUInt32BE(lease.expiresAt, 68)
  return b
}

export function decodeImmutableLease(bytes: Uint8Array): StoredLease {
  return {
    ownerNumber: readU32(bytes, 0),
    renewSecret: bytes.slice(4, 36),
    cancelSecret: bytes.slice(36, 68),
    expiresAt: readU32(bytes, 68),
  }
}

/** Writes the header and first lease of a new container; the data follows by positional writes. */
export async function initImmutableContainer(
  handle: FileHandle,
  allocatedSize: number,
  lease: StoredLease,
): Promise<void> {
  await writeAt(handle, 0, immutableHeader(allocatedSize, 1))
  await writeAt(handle, IMMUTABLE_HEADER_BYTES + allocatedSize, encodeImmutableLease(lease))
}

/** An open immutable share file in shares/. */
export class ImmutableShareFile {
  readonly handle: FileHandle
  readonly version: number
  readonly dataLength: number
  #leaseCount: number

  private constructor(handle: FileHandle, version: number, leaseCount: number, dataLength: number) {
    this.handle = handle
    this.version = version
    this.#leaseCount = leaseCount
    this.dataLength = dataLength
  }

  static async open(path: string, flags: 'r' | 'r+' = 'r'): Promise<ImmutableShareFile> {
    const handle = await open(path, flags)
    try {
      const size = (await handle.stat()).size
      const header = await readAt(handle, 0, IMMUTABLE_HEADER_BYTES)
      if (header.length < IMMUTABLE_HEADER_BYTES || !isImmutableContainerHeader(header)) {
        throw storageServerError('CORRUPT_CONTAINER', 'not an immutable share container')
      }
      const leaseCount = readU32(header, 8)
      const dataLength = size - IMMUTABLE_HEADER_BYTES - leaseCount * IMMUTABLE_LEASE_BYTES
      if (dataLength < 0)
        throw storageServerError('CORRUPT_CONTAINER', 'immutable container shorter than its leases')
      return new ImmutableShareFile(handle, readU32(header, 0), leaseCount, dataLength)
    } catch (err) {
      await handle.close()
      throw err
    }
  }

  get hashedSecrets(): boolean {
    return this.version >= 2
  }

  get leaseCount(): number {
    return this.#leaseCount
  }

  get #leaseOffset(): number {
    return IMMUTABLE_HEADER_BYTES + this.dataLength
  }

  /** Share data; reads past the end are cut short. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.dataLength - offset))
    if (n === 0) return new Uint8Array(0)
    return readAt(this.handle, IMMUTABLE_HEADER_BYTES + offset, n)
  }

  async leases(): Promise<StoredLease[]> {
    const bytes = await readAt(this.handle, this.#leaseOffset, this.#leaseCount * IMMUTABLE_LEASE_BYTES)
    const out: StoredLease[] = []
    for (let i = 0; i + IMMUTABLE_LEASE_BYTES <= bytes.length; i += IMMUTABLE_LEASE_BYTES) {
      out.push(decodeImmutableLease(bytes.subarray(i, i + IMMUTABLE_LEASE_BYTES)))
    }
    return out
  }

  /**
   * Renews the lease whose renew secret matches (only ever moving its expiry later), or else adds a
   * new lease when `mayGrow(72)` allows it. Durable before it returns: the new lease record is
   * synced before the count that makes it visible, so a crash leaves the old or the new lease set.
   */
  async addOrRenewLease(
    request: LeaseRequest,
    options: { ownerNumber: number; expiresAt: number; mayGrow: (bytes: number) => boolean },
  ): Promise<'renewed' | 'added' | 'unchanged'> {
    const leases = await this.leases()
    const candidate = this.hashedSecrets ? hashLeaseSecret(request.renewSecret) : request.renewSecret
    for (const [i, lease] of leases.entries()) {
      if (!constantTimeEqual(lease.renewSecret, candidate)) continue
      if (options.expiresAt <= lease.expiresAt) return 'unchanged'
      const position = this.#leaseOffset + i * IMMUTABLE_LEASE_BYTES
      await writeAt(this.handle, position, encodeImmutableLease({ ...lease, expiresAt: options.expiresAt }))
      await this.handle.datasync()
      return 'renewed'
    }
    if (!options.mayGrow(IMMUTABLE_LEASE_BYTES)) {
      throw storageServerError('NO_SPACE', 'no space for another lease on this share')
    }
    const lease = newStoredLease(request, {
      ownerNumber: options.ownerNumber,
      expiresAt: options.expiresAt,
      hashed: this.hashedSecrets,
    })
    await writeAt(
      this.handle,
      this.#leaseOffset + leases.length * IMMUTABLE_LEASE_BYTES,
      encodeImmutableLease(lease),
    )
    await this.handle.datasync()
    await writeAt(this.handle, 8, u32(leases.length + 1))
    await this.handle.datasync()
    this.#leaseCount = leases.length + 1
    return 'added'
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}
