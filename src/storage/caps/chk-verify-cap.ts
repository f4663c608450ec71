import { HASH_SIZE, KEY_SIZE } from '../crypto/hashes.ts'
import { base32Encode } from '../util/base32.ts'
import {
  checkLength,
  checkShareCounts,
  decodeCapBytes,
  decodeShareCounts,
  splitCapFields,
} from './cap-fields.ts'

export const CHK_VERIFY_CAP_PREFIX = 'URI:CHK-Verifier:'

/**
 * `URI:CHK-Verifier:<storage index>:<UEB hash>:<k>:<N>:<size>` (docs/specifications/uri.rst, "CHK
 * URIs"): lets its holder find and check every share of an immutable file, not read it.
 */
export interface ChkVerifyCap {
  readonly kind: 'chk-verifier'
  /** 16 bytes */
  readonly storageIndex: Uint8Array
  /** SHA-256d of the URI extension block, 32 bytes */
  readonly uebHash: Uint8Array
  readonly needed: number
  readonly total: number
  readonly size: number
}

export function createChkVerifyCap(fields: Omit<ChkVerifyCap, 'kind'>): ChkVerifyCap {
  checkLength('CHK verify cap', 'storage index', fields.storageIndex, KEY_SIZE)
  checkLength('CHK verify cap', 'UEB hash', fields.uebHash, HASH_SIZE)
  checkShareCounts('CHK verify cap', fields.needed, fields.total, fields.size)
  return { kind: 'chk-verifier', ...fields }
}

export function parseChkVerifyCap(text: string): ChkVerifyCap {
  const p = CHK_VERIFY_CAP_PREFIX
  const [si, ueb, needed, total, size] = splitCapFields(text, p, [
    'storageindex',
    'uebhash',
    'k',
    'N',
    'size',
  ])
  return {
    kind: 'chk-verifier',
    storageIndex: decodeCapBytes(p, 'storage index', si!, KEY_SIZE),
    uebHash: decodeCapBytes(p, 'UEB hash', ueb!, HASH_SIZE),
    ...decodeShareCounts(p, { needed: needed!, total: total!, size: size! }),
  }
}

export function formatChkVerifyCap(cap: ChkVerifyCap): string {
  return `${CHK_VERIFY_CAP_PREFIX}${base32Encode(cap.storageIndex)}:${base32Encode(cap.uebHash)}:${cap.needed}:${cap.total}:${cap.size}`
}
