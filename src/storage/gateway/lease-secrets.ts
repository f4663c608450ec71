import { randomBytes } from 'node:crypto'
import { taggedHash, taggedPairHash } from '../crypto/hashes.ts'

/**
 * Lease secrets as Tahoe-LAFS derives them (docs/specifications/lease.rst): from one 32-byte client
 * lease secret, per storage index and per server, so a client can renew its leases later without
 * keeping any per-share state. `leaseSeed` is the server's 20-byte id (Tahoe's tub id).
 */
const TAGS = {
  clientRenewal: 'allmydata_client_renewal_secret_v1',
  clientCancel: 'allmydata_client_cancel_secret_v1',
  fileRenewal: 'allmydata_file_renewal_secret_v1',
  fileCancel: 'allmydata_file_cancel_secret_v1',
  bucketRenewal: 'allmydata_bucket_renewal_secret_v1',
  bucketCancel: 'allmydata_bucket_cancel_secret_v1',
} as const

export const LEASE_SECRET_BYTES = 32

export interface ServerLeaseSecrets {
  renewSecret: Uint8Array
  cancelSecret: Uint8Array
}

const encoder = new TextEncoder()

/** The per-file secrets of one client; `forServer` gives the secrets for one server's lease. */
export function fileLeaseSecrets(clientLeaseSecret: Uint8Array, storageIndex: Uint8Array) {
  // Tahoe hashes the tag string under the client secret used as the tag (hashutil's my_*_secret_hash)
  const clientRenewal = taggedHash(clientLeaseSecret, encoder.encode(TAGS.clientRenewal))
  const clientCancel = taggedHash(clientLeaseSecret, encoder.encode(TAGS.clientCancel))
  const fileRenewal = taggedPairHash(TAGS.fileRenewal, clientRenewal, storageIndex)
  const fileCancel = taggedPairHash(TAGS.fileCancel, clientCancel, storageIndex)
  return {
    forServer(leaseSeed: Uint8Array): ServerLeaseSecrets {
      return {
        renewSecret: taggedPairHash(TAGS.bucketRenewal, fileRenewal, leaseSeed),
        cancelSecret: taggedPairHash(TAGS.bucketCancel, fileCancel, leaseSeed),
      }
    },
  }
}

/** A fresh secret that authorises the writes of one upload (Tahoe: 32 random bytes). */
export function newUploadSecret(): Uint8Array {
  return randomBytes(32)
}
