import { base32Decode, base32Encode } from '../util/base32.ts'
import { storageError } from '../util/storage-error.ts'

export const LIT_CAP_PREFIX = 'URI:LIT:'

/**
 * Files of at most this many bytes are not stored on servers: the cap holds the data itself
 * (Tahoe's Uploader.URI_LIT_SIZE_THRESHOLD).
 */
export const LIT_MAX_SIZE = 55

/** `URI:LIT:<base32 data>` (docs/specifications/uri.rst, "LIT URIs"): a literal immutable file. */
export interface LitCap {
  readonly kind: 'lit'
  readonly data: Uint8Array
}

export function createLitCap(data: Uint8Array): LitCap {
  return { kind: 'lit', data }
}

export function parseLitCap(text: string): LitCap {
  if (!text.startsWith(LIT_CAP_PREFIX)) {
    throw storageError('INVALID_CAP', `not a ${LIT_CAP_PREFIX} cap`, { expected: LIT_CAP_PREFIX })
  }
  try {
    return { kind: 'lit', data: base32Decode(text.slice(LIT_CAP_PREFIX.length)) }
  } catch (err) {
    throw storageError(
      'INVALID_CAP',
      `${LIT_CAP_PREFIX} cap: the data is not canonical base32: ${(err as Error).message}`,
      { expected: LIT_CAP_PREFIX, field: 'data' },
      err,
    )
  }
}

export function formatLitCap(cap: LitCap): string {
  return `${LIT_CAP_PREFIX}${base32Encode(cap.data)}`
}
