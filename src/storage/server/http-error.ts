import { isCloudyError } from '../../util/errors.ts'
import { type StorageServerErrorKind, storageServerErrorKind } from './storage-server-error.ts'

/** A response the storage protocol prescribes for a failed request: a status and a short text. */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  readonly status: number
  readonly headers: Record<string, string>

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.status = status
    this.headers = headers
  }
}

/**
 * The storage protocol's status for each failure of the core: the one place where core errors
 * meet HTTP (Tahoe's http_server.py answers these codes, see docs/storage-server.md).
 */
const KIND_STATUS: Record<StorageServerErrorKind, number> = {
  BAD_REQUEST: 400,
  OUT_OF_RANGE: 416,
  NOT_FOUND: 404,
  WRITE_CONFLICT: 409,
  WRONG_UPLOAD_SECRET: 401,
  WRONG_WRITE_ENABLER: 401,
  ALREADY_COMPLETE: 405,
  WRONG_SHARE_KIND: 409,
  NO_SPACE: 507,
  TOO_LARGE: 413,
  CORRUPT_CONTAINER: 500,
  CLOSED: 503,
}

/** Status and message to send for an error thrown while handling a request. */
export function httpStatusFor(err: unknown): {
  status: number
  message: string
  headers: Record<string, string>
} {
  if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers }
  const kind = storageServerErrorKind(err)
  if (kind !== undefined) {
    const status = KIND_STATUS[kind]
    return { status, message: status >= 500 ? 'storage server error' : (err as Error).message, headers: {} }
  }
  if (isCloudyError(err) && err.status < 500) return { status: err.status, message: err.message, headers: {} }
  return { status: 500, message: 'internal error', headers: {} }
}
