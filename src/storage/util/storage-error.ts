import { CloudyError, type ErrorCode } from '../../util/errors.ts'

/**
 * Failure kinds of the storage layer and the error code each is raised as (src/util/errors.ts);
 * the kind is also kept in `details.kind`.
 */
export const STORAGE_ERROR_KINDS = {
  /** a capability string that cannot be parsed */
  INVALID_CAP: 'INVALID_CAP',
  /** a capability of a kind this version does not handle yet */
  UNSUPPORTED_CAP: 'INVALID_CAP',
  /** malformed encoded data handed in by a caller (base32, netstrings, UEB, share header) */
  INVALID_FORMAT: 'INVALID_INPUT',
  /** a share whose bytes fail a hash check or cannot be parsed */
  CORRUPT_SHARE: 'CORRUPT_SHARE',
  /** fewer good shares than the file needs */
  NOT_ENOUGH_SHARES: 'NOT_ENOUGH_SHARES',
  /** fewer storage servers than an upload's servers of happiness */
  NOT_ENOUGH_SERVERS: 'NOT_ENOUGH_SERVERS',
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
