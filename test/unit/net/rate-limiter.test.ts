import { describe, expect, it } from 'vitest'
import { createRateLimiter } from '../../../src/net/rate-limiter.ts'

describe('rate limiter', () => {
  it('allows `limit` attempts per key per window, then says when to retry', () => {
    let now = 1000
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000 }, { clock: () => now })
    for (let i = 0; i < 3; i++) {
      expect(limiter.take('ip:10.0.0.1')).toEqual({ allowed: true })
      now += 1000
    }
    expect(limiter.take('ip:10.0.0.1')).toEqual({ allowed: false, retryAfterMs: 57_000 })
    expect(limiter.take('ip:10.0.0.2')).toEqual({ allowed: true })
    now = 1000 + 60_001
    expect(limiter.take('ip:10.0.0.1')).toEqual({ allowed: true })
  })

  it('does not count refused attempts', () => {
    let now = 0
    const limiter = createRateLimiter({ limit: 1, windowMs: 100 }, { clock: () => now })
    expect(limiter.take('k').allowed).toBe(true)
    now = 50
    expect(limiter.take('k').allowed).toBe(false)
    now = 101
    expect(limiter.take('k').allowed).toBe(true)
  })

  it('forgets the least recently used keys beyond maxKeys', () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 2 }, { clock: () => 0 })
    limiter.take('a')
    limiter.take('b')
    limiter.take('c')
    expect(limiter.take('a').allowed).toBe(true)
    expect(limiter.take('c').allowed).toBe(false)
  })
})
