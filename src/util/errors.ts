/**
 * Coded errors. Every failure a user can meet has a stable code; the HTTP status and the CLI exit
 * code for each code are mapped here, in one place (see docs/errors.md).
 */

export const ERROR_CODES = {
  INVALID_INPUT: { status: 400, exit: 2, summary: 'the request or arguments are malformed' },
  INVALID_INVITE: { status: 400, exit: 2, summary: 'the invite code cannot be parsed' },
  PAYLOAD_TOO_LARGE: { status: 413, exit: 2, summary: 'the request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: 2, summary: 'the request body is not JSON' },
  UNAUTHORIZED: { status: 401, exit: 4, summary: 'missing or wrong credentials' },
  FORBIDDEN: { status: 403, exit: 4, summary: 'the credentials do not allow this' },
  NOT_FOUND: { status: 404, exit: 5, summary: 'no such resource' },
  CONFLICT: { status: 409, exit: 6, summary: 'the request conflicts with the current state' },
  ALREADY_MEMBER: { status: 409, exit: 6, summary: 'this node is already a member of a cloud' },
  NOT_MEMBER: { status: 409, exit: 6, summary: 'this node is not a member of a cloud' },
  INVITE_REFUSED: { status: 403, exit: 7, summary: 'the invite was used, expired, revoked or is unknown' },
  JOIN_FAILED: { status: 502, exit: 7, summary: 'no member named in the invite could be reached' },
  RATE_LIMITED: { status: 429, exit: 8, summary: 'too many requests; try again later' },
  DAEMON_NOT_RUNNING: { status: 503, exit: 3, summary: 'no daemon runs on this data directory' },
  DATA_DIR_LOCKED: { status: 409, exit: 3, summary: 'another daemon already uses this data directory' },
  DATA_DIR_TOO_NEW: { status: 500, exit: 3, summary: 'the data directory was written by a newer Cloudy' },
  UNAVAILABLE: { status: 503, exit: 9, summary: 'a dependency is unavailable' },
  SERVICE_DISABLED: { status: 409, exit: 10, summary: 'the built-in service is not enabled on this node' },
  SERVICE_FAILED: { status: 503, exit: 10, summary: 'the built-in service is enabled but failed to start' },
  INVALID_CAP: { status: 400, exit: 2, summary: 'the capability cannot be parsed or is of the wrong kind' },
  RANGE_NOT_SATISFIABLE: { status: 416, exit: 2, summary: 'the byte range starts past the end of the file' },
  NOT_ENOUGH_SERVERS: {
    status: 503,
    exit: 11,
    summary: 'fewer storage servers took shares than servers of happiness',
  },
  NOT_ENOUGH_SHARES: {
    status: 410,
    exit: 11,
    summary: 'fewer good shares are reachable than the file needs',
  },
  CORRUPT_SHARE: { status: 502, exit: 11, summary: 'a share failed its integrity check' },
  INTERNAL: { status: 500, exit: 1, summary: 'an unexpected internal error' },
} as const satisfies Record<string, { status: number; exit: number; summary: string }>

export type ErrorCode = keyof typeof ERROR_CODES

export class CloudyError extends Error {
  override readonly name = 'CloudyError'
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, { cause: options?.cause })
    this.code = code
    this.details = options?.details
  }

  get status(): number {
    return ERROR_CODES[this.code].status
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit
  }
}

export function isCloudyError(err: unknown): err is CloudyError {
  return err instanceof CloudyError
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
}

export function exitCodeFor(code: ErrorCode): number {
  return ERROR_CODES[code].exit
}

export function statusFor(code: ErrorCode): number {
  return ERROR_CODES[code].status
}
