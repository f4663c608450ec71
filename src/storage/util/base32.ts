import { storageError } from './storage-error.ts'

/**
 * Tahoe-LAFS base32: the RFC 3548 alphabet in lower case, no padding. A byte string of n bytes
 * becomes ceil(8n / 5) characters; the unused low bits of the last character are zero. So a 128-bit
 * key is 26 characters whose last one carries 3 bits, a 256-bit hash 52 characters whose last one
 * carries 1 bit (Tahoe's allmydata/util/base32.py, docs/specifications/uri.rst).
 */
export const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

const VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < BASE32_ALPHABET.length; i++) VALUES[BASE32_ALPHABET.charCodeAt(i)] = i

/** Characters needed for `byteLength` bytes. */
export function base32Length(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5)
}

/** Bytes carried by `charLength` characters, or undefined when no byte length encodes to that. */
export function base32ByteLength(charLength: number): number | undefined {
  const bytes = Math.floor((charLength * 5) / 8)
  return base32Length(bytes) === charLength ? bytes : undefined
}

export function base32Encode(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += BASE32_ALPHABET[(buffer >>> bits) & 31]
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}

/**
 * Strict decoding: only lower-case alphabet characters, a length some byte string encodes to, and
 * zero padding bits; anything else throws INVALID_FORMAT naming the problem. `expectedBytes`
 * additionally requires a byte length (for keys and hashes inside caps).
 */
export function base32Decode(text: string, expectedBytes?: number): Uint8Array {
  const byteLength = base32ByteLength(text.length)
  if (byteLength === undefined) {
    throw storageError('INVALID_FORMAT', `base32 of ${text.length} characters encodes no whole bytes`, {
      length: text.length,
    })
  }
  if (expectedBytes !== undefined && byteLength !== expectedBytes) {
    throw storageError(
      'INVALID_FORMAT',
      `base32 of ${text.length} characters holds ${byteLength} bytes, expected ${expectedBytes} (${base32Length(expectedBytes)} characters)`,
      { length: text.length, expectedBytes },
    )
  }
  const out = new Uint8Array(byteLength)
  let buffer = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const value = code < 128 ? (VALUES[code] ?? -1) : -1
    if (value < 0) {
      throw storageError(
        'INVALID_FORMAT',
        `invalid base32 character ${JSON.stringify(text[i])} at position ${i} (Tahoe base32 is lower-case a-z and 2-7)`,
        { position: i },
      )
    }
    buffer = ((buffer << 5) | value) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[o++] = (buffer >>> bits) & 0xff
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) {
    throw storageError('INVALID_FORMAT', 'base32 string has non-zero padding bits in its last character', {
      position: text.length - 1,
    })
  }
  return out
}

/** Whether `text` is canonical Tahoe base32 (of `expectedBytes` bytes, if given). */
export function isBase32(text: string, expectedBytes?: number): boolean {
  try {
    base32Decode(text, expectedBytes)
    return true
  } catch {
    return false
  }
}
