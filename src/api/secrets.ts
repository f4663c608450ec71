import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A fresh random secret: `bytes` random bytes in base64url, after an optional prefix. */
export function randomSecret(bytes = 32, prefix = ''): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/**
 * Compares two strings in time independent of where they differ. Both are hashed first, so the
 * comparison also hides their lengths.
 */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest()
  const db = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(da, db)
}
