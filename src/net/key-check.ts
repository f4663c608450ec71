import type { ConnectionProtector } from '@libp2p/interface'
import { byteStream } from '@libp2p/utils'
import { equals } from 'uint8arrays/equals'

/** Sent by each end through the pnet stream right after the nonce exchange (docs/overlay.md). */
const KEY_CHECK = new TextEncoder().encode('cloudy-psk-ok-v1')

/** A peer's key-check bytes did not decrypt to KEY_CHECK: it holds another cloud key. */
export class CloudKeyMismatchError extends Error {
  override readonly name = 'CloudKeyMismatchError'
}

/**
 * Adds an explicit key confirmation to libp2p's pnet protector. Plain pnet only XORs the stream with
 * the key's XSalsa20 keystream, so a peer with another key is noticed later, as garbage somewhere in
 * the Noise negotiation, sometimes only after a timeout. Here both ends send 16 known bytes through
 * the protected stream and compare what they receive, so a wrong key fails at once with a clear error.
 */
export function withKeyCheck(inner: ConnectionProtector): ConnectionProtector {
  return {
    async protect(connection, options) {
      const protectedStream = await inner.protect(connection, options)
      const bytes = byteStream(protectedStream)
      const [received] = await Promise.all([
        bytes.read({ ...options, bytes: KEY_CHECK.byteLength }),
        bytes.write(KEY_CHECK, options),
      ])
      if (!equals(received.subarray(), KEY_CHECK)) {
        const err = new CloudKeyMismatchError('the peer holds another cloud key (pnet key check failed)')
        protectedStream.abort(err)
        throw err
      }
      return bytes.unwrap()
    },
  }
}
