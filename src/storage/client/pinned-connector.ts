import { isIP } from 'node:net'
import { connect, type TLSSocket } from 'node:tls'
import type { buildConnector } from 'undici'
import { constantTimeEqual } from '../server/lease.ts'
import { spkiHash } from '../server/tls-identity.ts'

/** The server's certificate is not the one the NURL pins. */
export class CertificatePinMismatch extends Error {
  override readonly name = 'CertificatePinMismatch'
  readonly code = 'CLOUDY_CERTIFICATE_PIN_MISMATCH'
}

export class ConnectTimeout extends Error {
  override readonly name = 'ConnectTimeout'
  readonly code = 'CLOUDY_CONNECT_TIMEOUT'
}

/**
 * Whether a peer certificate is the pinned one: its SPKI hash equals the NURL's (RFC 7469 pinning,
 * as Tahoe does) and, if it is self-issued, its signature verifies with its own key. No certificate
 * authority, name or validity period is checked: the pin is the identity.
 */
export function certificateMatchesPin(socket: TLSSocket, expectedSpkiHash: string): boolean {
  const cert = socket.getPeerX509Certificate()
  if (cert === undefined) return false
  const actual = Buffer.from(spkiHash(cert), 'ascii')
  if (!constantTimeEqual(actual, Buffer.from(expectedSpkiHash, 'ascii'))) return false
  return !cert.checkIssued(cert) || cert.verify(cert.publicKey)
}

/**
 * An undici connector that opens TLS connections and hands them over only once the certificate
 * matches the pin, so no request (and no swissnum) ever reaches another server.
 */
export function pinnedConnector(expectedSpkiHash: string, timeoutMs: number): buildConnector.connector {
  return (options, callback) => {
    let settled = false
    const finish = (err: Error | null, socket: TLSSocket | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err === null && socket !== null) callback(null, socket)
      else callback(err ?? new Error('TLS connection failed'), null)
    }
    const host = options.hostname.replace(/^\[(.*)\]$/, '$1')
    const socket = connect({
      host,
      port: Number(options.port),
      ...(isIP(host) === 0 && { servername: host }),
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
    })
    const timer = setTimeout(() => {
      socket.destroy()
      finish(new ConnectTimeout(`no TLS connection to ${host}:${options.port} within ${timeoutMs} ms`), null)
    }, timeoutMs)
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 60_000)
    socket.once('secureConnect', () => {
      if (certificateMatchesPin(socket, expectedSpkiHash)) {
        finish(null, socket)
        return
      }
      socket.destroy()
      finish(
        new CertificatePinMismatch(`${host}:${options.port} presented a certificate other than the NURL's`),
        null,
      )
    })
    socket.once('error', (err) => finish(err, null))
  }
}
