import { type Cipher, createCipheriv } from 'node:crypto'

/**
 * AES-128-CTR as Tahoe-LAFS uses it for immutable files (allmydata/crypto/aes.py): the counter block
 * starts at zero (a 16-byte all-zero IV) and counts 16-byte blocks big-endian over the whole file,
 * so byte i of the file is XORed with keystream byte i. Encryption and decryption are the same
 * operation. node:crypto is fed pieces of at most PIECE_SIZE bytes: OpenSSL through node slows down
 * badly on multi-MiB single calls.
 */
export const AES_PIECE_SIZE = 64 * 1024
const BLOCK = 16

export class AesCtrStream {
  readonly #cipher: Cipher

  /** A keystream positioned at byte `offset` of the file. */
  constructor(key: Uint8Array, offset = 0) {
    if (key.length !== 16) throw new RangeError(`AES-128 needs a 16-byte key, got ${key.length}`)
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`bad keystream offset ${offset}`)
    const iv = new Uint8Array(BLOCK)
    let counter = BigInt(Math.floor(offset / BLOCK))
    for (let i = BLOCK - 1; i >= 0 && counter > 0n; i--) {
      iv[i] = Number(counter & 0xffn)
      counter >>= 8n
    }
    this.#cipher = createCipheriv('aes-128-ctr', key, iv)
    const skip = offset % BLOCK
    if (skip > 0) this.#cipher.update(new Uint8Array(skip))
  }

  /** XORs the next data.length keystream bytes into `data`. */
  transformInPlace(data: Uint8Array): void {
    for (let at = 0; at < data.length; at += AES_PIECE_SIZE) {
      const piece = data.subarray(at, Math.min(data.length, at + AES_PIECE_SIZE))
      data.set(this.#cipher.update(piece), at)
    }
  }
}
