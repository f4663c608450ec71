import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import {
  base32ByteLength,
  base32Decode,
  base32Encode,
  base32Length,
  isBase32,
} from '../../../../src/storage/util/base32.ts'
import { storageErrorKind } from '../../../../src/storage/util/storage-error.ts'

const text = (s: string) => new TextEncoder().encode(s)

describe('Tahoe base32', () => {
  test.each([
    ['', ''],
    ['f', 'my'],
    ['fo', 'mzxq'],
    ['foo', 'mzxw6'],
    ['foob', 'mzxw6yq'],
    ['fooba', 'mzxw6ytb'],
    ['foobar', 'mzxw6ytboi'],
  ])('encodes %j as the lower-case RFC 3548 string %j without padding', (plain, encoded) => {
    expect(base32Encode(text(plain))).toBe(encoded)
    expect(base32Decode(encoded)).toEqual(text(plain))
  })

  test('round-trips every length from 0 to 80 bytes', () => {
    for (let n = 0; n <= 80; n++) {
      const bytes = new Uint8Array(randomBytes(n))
      const encoded = base32Encode(bytes)
      expect(encoded).toHaveLength(base32Length(n))
      expect(base32ByteLength(encoded.length)).toBe(n)
      expect(base32Decode(encoded, n)).toEqual(bytes)
    }
  })

  test('a 128-bit key is 26 characters and a 256-bit hash 52 (the odd bit lengths caps use)', () => {
    expect(base32Length(16)).toBe(26)
    expect(base32Length(32)).toBe(52)
    // the last character of a 128-bit value carries 3 bits, of a 256-bit value 1 bit
    expect(base32Encode(new Uint8Array(16).fill(0xff)).at(-1)).toBe('4')
    expect(base32Encode(new Uint8Array(32).fill(0xff)).at(-1)).toBe('q')
    expect(base32Decode('bwngqtfdshobudkbhl5mk6wqfe', 16)).toHaveLength(16)
  })

  test.each([
    ['MZXW6', /invalid base32 character "M" at position 0/],
    ['mzxw0', /invalid base32 character "0" at position 4/],
    ['mzxw1', /invalid base32 character "1"/],
    ['mzxw6===', /invalid base32 character "="/],
    ['m', /1 characters encodes no whole bytes/],
    ['mzx', /3 characters encodes no whole bytes/],
    ['mzxw6y', /6 characters encodes no whole bytes/],
    ['mz', /non-zero padding bits/],
    ['mzxw6yr', /non-zero padding bits/],
  ])('refuses %j with a clear message', (encoded, message) => {
    let error: unknown
    try {
      base32Decode(encoded)
    } catch (err) {
      error = err
    }
    expect((error as Error).message).toMatch(message)
    expect(storageErrorKind(error)).toBe('INVALID_FORMAT')
    expect(isBase32(encoded)).toBe(false)
  })

  test('checks the expected byte length', () => {
    expect(() => base32Decode('mzxw6ytboi', 16)).toThrow(/holds 6 bytes, expected 16 \(26 characters\)/)
    expect(isBase32('mzxw6ytboi', 6)).toBe(true)
  })
})
