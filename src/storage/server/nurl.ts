import { CloudyError } from '../../util/errors.ts'

/**
 * A NURL names an HTTPS storage server: `pb://<hash>@<host>:<port>/<swissnum>#v=1`, where the hash
 * is the unpadded base64url SHA-256 of the server certificate's SubjectPublicKeyInfo (Tahoe's
 * http_common.get_spki_hash; the spec's RFC 7469 pin), and the swissnum is the shared secret every
 * request presents. A NURL is a credential: never log it.
 */
export interface Nurl {
  spkiHash: string
  host: string
  port: number
  swissnum: string
}

const SPKI_HASH_RE = /^[A-Za-z0-9_-]{43}$/
const SWISSNUM_RE = /^[A-Za-z0-9._~-]{1,256}$/

export function formatNurl(n: Nurl): string {
  const host = n.host.includes(':') ? `[${n.host}]` : n.host
  return `pb://${n.spkiHash}@${host}:${n.port}/${n.swissnum}#v=1`
}

export function parseNurl(text: string): Nurl {
  const bad = (why: string) => new CloudyError('INVALID_INPUT', `not a storage NURL: ${why}`)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw bad('it does not parse as a URL')
  }
  if (url.protocol !== 'pb:') throw bad('the scheme is not pb://')
  if (url.hash !== '#v=1') throw bad('it has no #v=1 (HTTP storage protocol) fragment')
  if (!SPKI_HASH_RE.test(url.username)) throw bad('the certificate hash is not 43 characters of base64url')
  const port = Number(url.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('it has no port')
  const swissnum = url.pathname.replace(/^\//, '')
  if (!SWISSNUM_RE.test(swissnum)) throw bad('the swissnum is missing or has characters a swissnum never has')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (host === '') throw bad('it has no host')
  return { spkiHash: url.username, host, port, swissnum }
}

/** The value of the Authorization header for a swissnum. */
export function swissnumAuthorization(swissnum: string): string {
  return `Tahoe-LAFS ${Buffer.from(swissnum, 'ascii').toString('base64')}`
}

export function isSwissnum(text: string): boolean {
  return SWISSNUM_RE.test(text)
}
