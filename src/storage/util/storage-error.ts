import { CloudyError, type ErrorCode } from '../../util/errors.ts'

/**
 * Failure kinds of the storage layer. src/util/errors.ts has no codes for them yet, so each kind is
 * raised as the nearest existing code and kept in `details.kind`; when the catalogue gains the
 * codes, only this table changes.
 */
export const STORAGE_ERROR_KINDS = {
  /** a capability string that cannot be parsed */
  INVALID_CAP: 'INVALID_INPUT',
  /** a capability of a kind this version does not handle yet */
  UNSUPPORTED_CAP: 'INVALID_INPUT',
  /** malformed encoded data handed in by a caller (base32, netstrings, UEB, share header) */
  INVALID_FORMAT: 'INVALID_INPUT',
  /** a share whose bytes fail a hash check or cannot be parsed */
  CORRUPT_SHARE: 'UNAVAILABLE',
  /** fewer good shares than the file needs */
  NOT_ENOUGH_SHARES: 'UNAVAILABLE',
  /** fewer storage servers than an upload's servers of happiness */
  NOT_ENOUGH_SERVERS: 'UNAVAILABLE',
  /** a file or share beyond what the format can describe */
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
} as const satisfies Record<string, ErrorCode>

export type StorageErrorKind = keyof typeof STORAGE_ERROR_KINDS

export function storageError(
  kind: StorageErrorKind,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): CloudyError {
  return new CloudyError(STORAGE_ERROR_KINDS[kind], message, { cause, details: { ...details, kind } })
}

/** The storage failure kind of an error raised by storageError(), if it is one. */
export function storageErrorKind(err: unknown): StorageErrorKind | undefined {
  if (!(err instanceof CloudyError)) return undefined
  const kind = err.details?.kind
  return typeof kind === 'string' && Object.hasOwn(STORAGE_ERROR_KINDS, kind)
    ? (kind as StorageErrorKind)
    : undefined
}
