import { CloudyError, type ErrorCode } from '../../util/errors.ts'

/**
 * Storage protocol statuses as Cloudy error codes (the nearest existing ones; the status is kept in
 * `details.status`). 405 is an abort of a complete upload, 507 a server without space.
 */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'CONFLICT',
  406: 'UNSUPPORTED_MEDIA_TYPE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'INVALID_INPUT',
  429: 'RATE_LIMITED',
}

export function statusError(status: number, what: string, bodyText: string): CloudyError {
  const code = STATUS_CODES[status] ?? (status >= 500 ? 'UNAVAILABLE' : 'INVALID_INPUT')
  const said = bodyText.trim().slice(0, 200)
  return new CloudyError(
    code,
    `${what}: the storage server answered ${status}${said === '' ? '' : ` (${said})`}`,
    {
      details: { status },
    },
  )
}

/** A response that breaks the protocol (wrong type, wrong length, malformed CBOR). */
export function protocolError(what: string, why: string): CloudyError {
  return new CloudyError('UNAVAILABLE', `${what}: the storage server's answer is not valid (${why})`, {
    details: { reason: 'protocol' },
  })
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'CLOUDY_CONNECT_TIMEOUT',
])

/** A failure to talk to the server at all: refused, reset, timed out, or the wrong certificate. */
export function transportError(what: string, err: unknown): CloudyError {
  const code = (err as { code?: string }).code
  if (code === 'CLOUDY_CERTIFICATE_PIN_MISMATCH') {
    return new CloudyError(
      'UNAVAILABLE',
      `${what}: the server's certificate is not the one its NURL names; not talking to it`,
      { cause: err, details: { reason: 'certificate-mismatch' } },
    )
  }
  const reason = code !== undefined && TIMEOUT_CODES.has(code) ? 'timeout' : 'connection'
  return new CloudyError('UNAVAILABLE', `${what}: ${(err as Error).message ?? String(err)}`, {
    cause: err,
    details: { reason, ...(code !== undefined && { errno: code }) },
  })
}
