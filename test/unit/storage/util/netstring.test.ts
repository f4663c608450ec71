import { describe, expect, test } from 'vitest'
import { netstring, readNetstring, splitNetstrings } from '../../../../src/storage/util/netstring.ts'

const bytes = (s: string) => new TextEncoder().encode(s)
const str = (b: Uint8Array) => new TextDecoder().decode(b)

describe('netstrings', () => {
  test('encode length, colon, value and comma', () => {
    expect(str(netstring(bytes('hello')))).toBe('5:hello,')
    expect(str(netstring(''))).toBe('0:,')
    expect(str(netstring('allmydata_encoded_subshare_v1'))).toBe('29:allmydata_encoded_subshare_v1,')
  })

  test('read back values and the position after them', () => {
    const data = bytes('3:abc,0:,5:hello,')
    const first = readNetstring(data)
    expect(str(first.value)).toBe('abc')
    expect(first.next).toBe(6)
    const { values, next } = splitNetstrings(data, 3, { requireEnd: true })
    expect(values.map(str)).toEqual(['abc', '', 'hello'])
    expect(next).toBe(data.length)
  })

  test.each([
    ['5:abc,', /declares 5 bytes but only 4 follow/],
    ['3:abcd', /missing ',' after 3 bytes/],
    ['03:abc,', /leading zero/],
    ['-3:abc,', /non-digit/],
    [':abc,', /empty length/],
    ['3abc,', /non-digit/],
    ['123', /no ':'/],
  ])('refuse %j', (input, message) => {
    expect(() => readNetstring(bytes(input))).toThrow(message)
  })

  test('splitting counts and leftovers are checked', () => {
    expect(() => splitNetstrings(bytes('1:a,'), 2)).toThrow(/expected 2 netstrings, found 1/)
    expect(() => splitNetstrings(bytes('1:a,x'), 1, { requireEnd: true })).toThrow(/1 bytes left/)
    expect(splitNetstrings(bytes('xx1:a,'), 1, { position: 2 }).values.map(str)).toEqual(['a'])
  })
})
