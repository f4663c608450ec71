import { timingSafeEqual } from 'node:crypto'
import { HttpError } from './http-error.ts'

/** The secrets a client sends in `X-Tahoe-Authorization: <kind> <base64>` headers. */
export type SecretKind = 'lease-renew-secret' | 'lease-cancel-secret' | 'upload-secret' | 'write-enabler'
const KINDS = new Set<string>(['lease-renew-secret', 'lease-cancel-secret', 'upload-secret', 'write-enabler'])
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Lease secrets and write enablers are 32 bytes; upload secrets any non-empty length. */
const EXACT_LENGTH: Partial<Record<SecretKind, number>> = {
  'lease-renew-secret': 32,
  'lease-cancel-secret': 32,
  'write-enabler': 32,
}

/**
 * Parses the X-Tahoe-Authorization values (each header, and each comma-separated item of one) and
 * checks that exactly the `required` kinds are there: otherwise 400, as the spec asks (a missing,
 * unknown, unparseable or wrong-length secret is a client bug, not an authorization failure).
 */
export function parseSecrets(
  values: readonly string[],
  required: readonly SecretKind[],
): Map<SecretKind, Uint8Array> {
  const out = new Map<SecretKind, Uint8Array>()
  for (const value of values.flatMap((v) => v.split(','))) {
    const item = value.trim()
    if (item === '') continue
    const space = item.indexOf(' ')
    const kind = space < 0 ? item : item.slice(0, space)
    const text = space < 0 ? '' : item.slice(space + 1).trim()
    if (!KINDS.has(kind)) throw new HttpError(400, `unknown secret kind in X-Tahoe-Authorization`)
    if (text === '' || !BASE64_RE.test(text)) throw new HttpError(400, `${kind} is not base64`)
    const bytes = Buffer.from(text, 'base64')
    const exact = EXACT_LENGTH[kind as SecretKind]
    if (bytes.length === 0 || (exact !== undefined && bytes.length !== exact)) {
      throw new HttpError(400, `${kind} has the wrong length`)
    }
    out.set(kind as SecretKind, bytes)
  }
  const missing = required.filter((k) => !out.has(k))
  const extra = [...out.keys()].filter((k) => !required.includes(k))
  if (missing.length > 0 || extra.length > 0) {
    throw new HttpError(
      400,
      `X-Tahoe-Authorization must carry exactly: ${required.length === 0 ? 'nothing' : required.join(', ')}`,
    )
  }
  return out
}

/** Whether an Authorization header value is exactly the expected one (constant time). */
export function authorizationMatches(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false
  const got = Buffer.from(header, 'utf8')
  return got.length === expected.length && timingSafeEqual(got, expected)
}
