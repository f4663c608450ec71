import { HASH_SIZE, KEY_SIZE, storageIndexHash } from '../crypto/hashes.ts'
import { base32Encode } from '../util/base32.ts'
import {
  checkLength,
  checkShareCounts,
  decodeCapBytes,
  decodeShareCounts,
  splitCapFields,
} from './cap-fields.ts'
import { type ChkVerifyCap, createChkVerifyCap } from './chk-verify-cap.ts'

export const CHK_CAP_PREFIX = 'URI:CHK:'

/**
 * `URI:CHK:<read key>:<UEB hash>:<k>:<N>:<size>` (docs/specifications/uri.rst, "CHK URIs"): the read
 * cap of an immutable file. The storage index is derived from the key.
 */
export interface ChkCap {
  readonly kind: 'chk'
  /** the AES-128 key, 16 bytes */
  readonly readKey: Uint8Array
  /** SHA-256d of the URI extension block, 32 bytes */
  readonly uebHash: Uint8Array
  readonly needed: number
  readonly total: number
  readonly size: number
  /** derived: the tagged hash of the read key, 16 bytes */
  readonly storageIndex: Uint8Array
}

export function createChkCap(fields: Omit<ChkCap, 'kind' | 'storageIndex'>): ChkCap {
  checkLength('CHK cap', 'read key', fields.readKey, KEY_SIZE)
  checkLength('CHK cap', 'UEB hash', fields.uebHash, HASH_SIZE)
  checkShareCounts('CHK cap', fields.needed, fields.total, fields.size)
  return {
    kind: 'chk',
    readKey: fields.readKey,
    uebHash: fields.uebHash,
    needed: fields.needed,
    total: fields.total,
    size: fields.size,
    storageIndex: storageIndexHash(fields.readKey),
  }
}

export function parseChkCap(text: string): ChkCap {
  const p = CHK_CAP_PREFIX
  const [key, ueb, needed, total, size] = splitCapFields(text, p, ['key', 'uebhash', 'k', 'N', 'size'])
  const readKey = decodeCapBytes(p, 'read key', key!, KEY_SIZE)
  return {
    kind: 'chk',
    readKey,
    uebHash: decodeCapBytes(p, 'UEB hash', ueb!, HASH_SIZE),
    ...decodeShareCounts(p, { needed: needed!, total: total!, size: size! }),
    storageIndex: storageIndexHash(readKey),
  }
}

export function formatChkCap(cap: ChkCap): string {
  return `${CHK_CAP_PREFIX}${base32Encode(cap.readKey)}:${base32Encode(cap.uebHash)}:${cap.needed}:${cap.total}:${cap.size}`
}

/** The verify cap of the same file. */
export function chkVerifyCapOf(cap: ChkCap): ChkVerifyCap {
  return createChkVerifyCap({
    storageIndex: cap.storageIndex,
    uebHash: cap.uebHash,
    needed: cap.needed,
    total: cap.total,
    size: cap.size,
  })
}
