export interface RateLimiterInit {
  /** attempts allowed per key within one window */
  limit: number
  windowMs: number
  /** keys remembered at most; the oldest are forgotten first */
  maxKeys?: number
}

export interface RateLimiterComponents {
  clock: () => number
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number }

/** A sliding-window limit on attempts per key (a remote IP, a peer id). */
export interface RateLimiter {
  take(key: string): RateDecision
}

export function createRateLimiter(init: RateLimiterInit, components: RateLimiterComponents): RateLimiter {
  const maxKeys = init.maxKeys ?? 10_000
  const attempts = new Map<string, number[]>()
  return {
    take(key) {
      const now = components.clock()
      const recent = (attempts.get(key) ?? []).filter((t) => t > now - init.windowMs)
      attempts.delete(key)
      if (recent.length >= init.limit) {
        attempts.set(key, recent)
        return { allowed: false, retryAfterMs: (recent[0] as number) + init.windowMs - now }
      }
      recent.push(now)
      attempts.set(key, recent)
      while (attempts.size > maxKeys) attempts.delete(attempts.keys().next().value as string)
      return { allowed: true }
    },
  }
}
