import { describe, expect, test } from 'vitest'
import { roundUpPow2, uncleChain } from '../../../../src/storage/crypto/hash-tree.ts'
import { pythonSetOrder } from '../../../../src/storage/util/python-set-order.ts'

// Expected orders printed by CPython 3.11: s = set(needed_for(leaf)); s.add(leaf); list(s)
const CPYTHON_311: [number, number, number[]][] = [
  [1, 0, [0]],
  [3, 2, [1, 5, 6]],
  [8, 0, [8, 2, 4, 7]],
  [8, 5, [1, 11, 12, 6]],
  [10, 0, [2, 4, 8, 15, 16]],
  [10, 9, [1, 6, 12, 23, 24]],
  [100, 37, [2, 163, 3, 164, 39, 10, 82, 20]],
  [256, 0, [256, 32, 64, 128, 4, 2, 8, 16, 255]],
  [256, 255, [509, 1, 5, 13, 61, 125, 253, 29, 510]],
  [255, 200, [1, 228, 5, 455, 456, 14, 114, 55, 28]],
]

describe('CPython set iteration order (how Tahoe orders share hash chains)', () => {
  test.each(CPYTHON_311)('N=%i, share %i: %j', (total, shnum, expected) => {
    const leaf = roundUpPow2(total) - 1 + shnum
    expect(pythonSetOrder([...uncleChain(leaf), leaf])).toEqual(expected)
  })

  test('ignores duplicates and grows the table like CPython', () => {
    expect(pythonSetOrder([3, 3, 1])).toEqual([1, 3])
    expect(pythonSetOrder([16, 32, 64, 0, 5])).toEqual([0, 32, 64, 5, 16])
  })
})
