import { expect, test } from 'vitest'
import { createLoginLimiter } from '../../../src/api/login-limiter.ts'

test('a client is refused after its failures of the last minute, then let in again', () => {
  let now = 0
  const limiter = createLoginLimiter({ clock: () => now, perClient: 2, global: 100 })
  limiter.recordFailure('10.0.0.1')
  now = 10_000
  limiter.recordFailure('10.0.0.1')
  expect(() => limiter.check('10.0.0.1')).toThrow(
    expect.objectContaining({ code: 'RATE_LIMITED', details: { retryAfterS: 50 } }),
  )
  expect(() => limiter.check('10.0.0.2')).not.toThrow()
  now = 60_001
  expect(() => limiter.check('10.0.0.1')).not.toThrow()
})

test('failures from many clients together hit the global limit', () => {
  const limiter = createLoginLimiter({ clock: () => 0, perClient: 100, global: 3 })
  for (const ip of ['a', 'b', 'c']) limiter.recordFailure(ip)
  expect(() => limiter.check('d')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }))
})
