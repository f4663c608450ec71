import { createCipheriv, randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { AES_PIECE_SIZE, AesCtrStream } from '../../../../src/storage/crypto/aes-ctr.ts'
import { expectBytes } from '../immutable/expect-bytes.ts'

const key = new Uint8Array(randomBytes(16))
const plain = new Uint8Array(randomBytes(3 * AES_PIECE_SIZE + 12345))

const cipher = createCipheriv('aes-128-ctr', key, new Uint8Array(16))
const encrypted = new Uint8Array(Buffer.concat([cipher.update(plain), cipher.final()]))

describe('AES-128-CTR with a zero IV over the whole file', () => {
  test('equals one OpenSSL call, although fed in pieces', () => {
    const data = plain.slice()
    new AesCtrStream(key).transformInPlace(data)
    expectBytes(data, encrypted)
  })

  test.each([1, 15, 16, 17, 1002, AES_PIECE_SIZE + 7, 131073])(
    'a keystream started at byte %i continues the file',
    (offset) => {
      const data = plain.slice(offset)
      new AesCtrStream(key, offset).transformInPlace(data)
      expectBytes(data, encrypted.subarray(offset))
    },
  )

  test('decrypting is encrypting again', () => {
    const data = plain.slice()
    new AesCtrStream(key).transformInPlace(data)
    new AesCtrStream(key).transformInPlace(data)
    expectBytes(data, plain)
  })

  test('refuses keys that are not 16 bytes', () => {
    expect(() => new AesCtrStream(new Uint8Array(32))).toThrow(/16-byte key/)
  })
})
