import { expect } from 'vitest'

/**
 * Byte equality for large arrays: toEqual walks and diffs element by element, which takes seconds
 * for a few hundred KiB. On a mismatch this reports lengths and the first differing offset.
 */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)) return
  let first = 0
  while (first < Math.min(actual.length, expected.length) && actual[first] === expected[first]) first++
  expect({ length: actual.length, firstDifference: first }).toEqual({
    length: expected.length,
    firstDifference: -1,
  })
}
