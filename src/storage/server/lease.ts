import { timingSafeEqual } from 'node:crypto'
import { blake2b } from '@noble/hashes/blake2.js'

/** Leases last 31 days from their last renewal (Tahoe's fixed DEFAULT_RENEWAL_TIME). */
export const LEASE_DURATION_SECONDS = 31 * 24 * 60 * 60

/** Lease secrets (renew and cancel) are 32 bytes on the wire. */
export const LEASE_SECRET_BYTES = 32

/**
 * Owner numbers Tahoe writes: 0 for the lease made when an immutable bucket is allocated, 1 for
 * leases added with the lease endpoint or by a mutable write. In a mutable container, owner 0 marks
 * an empty lease slot.
 */
export const ALLOCATION_LEASE_OWNER = 0
export const CLIENT_LEASE_OWNER = 1

/**
 * One lease as stored. In version 2 containers the secrets are stored as their BLAKE2b-256 hashes,
 * so the server keeps no usable copy; version 1 containers (older Tahoe) hold them in clear.
 */
export interface StoredLease {
  ownerNumber: number
  renewSecret: Uint8Array
  cancelSecret: Uint8Array
  /** Unix seconds */
  expiresAt: number
  /** mutable containers only: the 20-byte id of the server that accepted the lease */
  nodeId?: Uint8Array
}

/** The lease a client asks for, with its secrets in clear. */
export interface LeaseRequest {
  renewSecret: Uint8Array
  cancelSecret: Uint8Array
}

export function hashLeaseSecret(secret: Uint8Array): Uint8Array {
  return blake2b(secret, { dkLen: 32 })
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Whether the clear `renewSecret` matches a stored lease (hashed when `hashed`). */
export function leaseMatchesRenewSecret(
  lease: StoredLease,
  renewSecret: Uint8Array,
  hashed: boolean,
): boolean {
  return constantTimeEqual(lease.renewSecret, hashed ? hashLeaseSecret(renewSecret) : renewSecret)
}

/** The stored form of a new lease. */
export function newStoredLease(
  request: LeaseRequest,
  options: { ownerNumber: number; expiresAt: number; hashed: boolean; nodeId?: Uint8Array },
): StoredLease {
  const h = (s: Uint8Array) => (options.hashed ? hashLeaseSecret(s) : s)
  return {
    ownerNumber: options.ownerNumber,
    renewSecret: h(request.renewSecret),
    cancelSecret: h(request.cancelSecret),
    expiresAt: options.expiresAt,
    ...(options.nodeId !== undefined && { nodeId: options.nodeId }),
  }
}

/** Expiry times are 32-bit unsigned seconds in both container formats. */
export function leaseExpiry(nowMs: number): number {
  return Math.min(0xffffffff, Math.floor(nowMs / 1000) + LEASE_DURATION_SECONDS)
}
