import { describe, expect, it } from 'vitest'
import { suspicionTimeout } from '../../../src/membership/suspicion.ts'

describe('suspicion timeout', () => {
  it('starts at the maximum and shrinks to the minimum with confirmations', () => {
    expect(suspicionTimeout(0, 2000, 6000)).toBe(6000)
    const one = suspicionTimeout(1, 2000, 6000)
    const two = suspicionTimeout(2, 2000, 6000)
    expect(one).toBeLessThan(6000)
    expect(two).toBeLessThan(one)
    expect(suspicionTimeout(3, 2000, 6000)).toBe(2000)
    expect(suspicionTimeout(10, 2000, 6000)).toBe(2000)
  })
})
