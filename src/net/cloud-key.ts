import { createHash, randomBytes } from 'node:crypto'
import { CloudyError } from '../util/errors.ts'

/**
 * The cloud key is the pre-shared key of a cloud's private overlay, in libp2p's swarm-key format
 * (docs/overlay.md): the three lines `/key/swarm/psk/1.0.0/`, `/base16/` and 64 lowercase hex digits.
 * Nodes store it as base64 of those bytes. Its fingerprint may be shown and logged; the key never.
 */

const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'
const KEY_BYTES = 32
const FINGERPRINT_TAG = 'cloudy-cloud-key-fingerprint-v1'
const SWARM_KEY_RE = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n([0-9a-f]{64})\n?$/

/** A new random cloud key (95 bytes, swarm-key format). */
export function generateCloudKey(): Uint8Array {
  return new TextEncoder().encode(HEADER + randomBytes(KEY_BYTES).toString('hex'))
}

/** The 32 secret bytes inside a swarm key; throws INVALID_INPUT when the key is malformed. */
function cloudKeySecret(key: Uint8Array): Buffer {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(key)
  } catch {
    throw new CloudyError('INVALID_INPUT', 'the cloud key is not text in the libp2p swarm-key format')
  }
  const match = SWARM_KEY_RE.exec(text)
  if (!match) {
    throw new CloudyError(
      'INVALID_INPUT',
      'the cloud key is malformed: expected "/key/swarm/psk/1.0.0/", "/base16/" and 64 lowercase hex digits on three lines',
    )
  }
  return Buffer.from(match[1] as string, 'hex')
}

/** Checks a cloud key and returns it in canonical form (no trailing newline). */
export function validateCloudKey(key: Uint8Array): Uint8Array {
  return new TextEncoder().encode(HEADER + cloudKeySecret(key).toString('hex'))
}

/** Base64 text of the swarm-key bytes, for the data directory and the join grant. */
export function encodeCloudKey(key: Uint8Array): string {
  return Buffer.from(validateCloudKey(key)).toString('base64')
}

/** Parses the base64 text written by encodeCloudKey; throws INVALID_INPUT when it is not a cloud key. */
export function decodeCloudKey(text: string): Uint8Array {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new CloudyError('INVALID_INPUT', 'the cloud key is not base64 text')
  }
  return validateCloudKey(Buffer.from(trimmed, 'base64'))
}

/** First 16 hex digits of SHA-256("cloudy-cloud-key-fingerprint-v1" || the 32 key bytes). */
export function cloudKeyFingerprint(key: Uint8Array): string {
  return createHash('sha256').update(FINGERPRINT_TAG).update(cloudKeySecret(key)).digest('hex').slice(0, 16)
}

/** A new random cloud id: 16 lowercase hex digits. */
export function newCloudId(): string {
  return randomBytes(8).toString('hex')
}

export const CLOUD_ID_RE = /^[0-9a-f]{16}$/
