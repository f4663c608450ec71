import { base32Decode, base32Encode, isBase32 } from '../util/base32.ts'
import { storageServerError } from './storage-server-error.ts'

/** A storage index is 16 bytes; in paths and URLs it is 26 characters of Tahoe base32. */
export const STORAGE_INDEX_BYTES = 16
export const STORAGE_INDEX_CHARS = 26

/** Share numbers are what zfec can produce: 0..255 (N is at most 256). */
export const MAX_SHARE_NUMBER = 255

export function storageIndexToBase32(storageIndex: Uint8Array): string {
  if (storageIndex.length !== STORAGE_INDEX_BYTES) {
    throw storageServerError('BAD_REQUEST', `a storage index is ${STORAGE_INDEX_BYTES} bytes`, {
      length: storageIndex.length,
    })
  }
  return base32Encode(storageIndex)
}

export function isStorageIndexText(text: string): boolean {
  return text.length === STORAGE_INDEX_CHARS && isBase32(text, STORAGE_INDEX_BYTES)
}

/** Parses the 26-character base32 form; BAD_REQUEST when it is not one. */
export function storageIndexFromBase32(text: string): Uint8Array {
  if (!isStorageIndexText(text)) {
    throw storageServerError('BAD_REQUEST', 'a storage index is 26 characters of lower-case base32')
  }
  return base32Decode(text, STORAGE_INDEX_BYTES)
}

/** Accepts either form and returns both. */
export function normalizeStorageIndex(si: Uint8Array | string): { bytes: Uint8Array; text: string } {
  if (typeof si === 'string') return { bytes: storageIndexFromBase32(si), text: si }
  return { bytes: si, text: storageIndexToBase32(si) }
}

export function isShareNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_SHARE_NUMBER
}

export function checkShareNumber(n: number): number {
  if (!isShareNumber(n)) {
    throw storageServerError('BAD_REQUEST', `a share number is an integer from 0 to ${MAX_SHARE_NUMBER}`, {
      shareNumber: n,
    })
  }
  return n
}
