import { CloudyError, type ErrorCode } from '../../util/errors.ts'

/**
 * Failure kinds of the storage server core. src/util/errors.ts has no codes for most of them yet,
 * so each kind is raised as the nearest existing code and kept in `details.kind`; the HTTP adapter
 * maps kinds to the storage protocol's status codes (http-status.ts), and when the catalogue gains
 * the codes only this table changes.
 */
export const STORAGE_SERVER_ERROR_KINDS = {
  /** a request the core cannot act on: bad share number, size 0, a range outside the share */
  BAD_REQUEST: 'INVALID_INPUT',
  /** a write range beyond the allocated size of the share */
  OUT_OF_RANGE: 'INVALID_INPUT',
  /** no such share, upload or storage index */
  NOT_FOUND: 'NOT_FOUND',
  /** data that differs from what was already written to the same bytes of an upload */
  WRITE_CONFLICT: 'CONFLICT',
  /** the upload secret does not match the one the upload was allocated with */
  WRONG_UPLOAD_SECRET: 'UNAUTHORIZED',
  /** the write enabler does not match the one recorded in the mutable container */
  WRONG_WRITE_ENABLER: 'UNAUTHORIZED',
  /** abort of an upload that is already complete */
  ALREADY_COMPLETE: 'CONFLICT',
  /** the storage index holds shares of the other kind (mutable vs immutable) */
  WRONG_SHARE_KIND: 'CONFLICT',
  /** the write would exceed the configured capacity or the reserved free space */
  NO_SPACE: 'UNAVAILABLE',
  /** a share larger than the container format allows */
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** a share file on disk that cannot be parsed */
  CORRUPT_CONTAINER: 'INTERNAL',
  /** the core was closed */
  CLOSED: 'UNAVAILABLE',
} as const satisfies Record<string, ErrorCode>

export type StorageServerErrorKind = keyof typeof STORAGE_SERVER_ERROR_KINDS

export function storageServerError(
  kind: StorageServerErrorKind,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): CloudyError {
  return new CloudyError(STORAGE_SERVER_ERROR_KINDS[kind], message, { cause, details: { ...details, kind } })
}

/** The kind of an error raised by storageServerError(), if it is one. */
export function storageServerErrorKind(err: unknown): StorageServerErrorKind | undefined {
  if (!(err instanceof CloudyError)) return undefined
  const kind = err.details?.kind
  return typeof kind === 'string' && Object.hasOwn(STORAGE_SERVER_ERROR_KINDS, kind)
    ? (kind as StorageServerErrorKind)
    : undefined
}
