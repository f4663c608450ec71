import { CloudyError } from '../util/errors.ts'

const WINDOW_MS = 60_000
const MAX_CLIENTS = 10_000

export interface LoginLimiterInit {
  clock?: () => number
  /** failed logins one client (IP address) may make per minute; default 10 */
  perClient?: number
  /** failed logins all clients together may make per minute; default 60 */
  global?: number
}

/** Slows down password guessing: counts failed logins per client and in total over a sliding minute. */
export interface LoginLimiter {
  /** Throws RATE_LIMITED while the client, or everybody, has used up the failures of the last minute. */
  check(client: string): void
  recordFailure(client: string): void
}

export function createLoginLimiter(init: LoginLimiterInit = {}): LoginLimiter {
  const clock = init.clock ?? Date.now
  const perClient = init.perClient ?? 10
  const globalLimit = init.global ?? 60
  const failures = new Map<string, number[]>()
  let all: number[] = []

  const recent = (times: number[], now: number) => times.filter((t) => t > now - WINDOW_MS)

  function refuse(times: number[], now: number, who: string): never {
    const retryAfterS = Math.max(1, Math.ceil(((times[0] ?? now) + WINDOW_MS - now) / 1000))
    throw new CloudyError('RATE_LIMITED', `too many failed logins ${who}: try again in ${retryAfterS} s`, {
      details: { retryAfterS },
    })
  }

  return {
    check(client) {
      const now = clock()
      all = recent(all, now)
      const mine = recent(failures.get(client) ?? [], now)
      if (mine.length >= perClient) refuse(mine, now, 'from this address')
      if (all.length >= globalLimit) refuse(all, now, 'on this node')
    },
    recordFailure(client) {
      const now = clock()
      all = [...recent(all, now), now]
      const mine = [...recent(failures.get(client) ?? [], now), now]
      // re-inserted at the end: the map stays ordered by last failure, oldest first
      failures.delete(client)
      failures.set(client, mine)
      for (const [key, times] of failures) {
        if (failures.size <= MAX_CLIENTS && recent(times, now).length > 0) break
        failures.delete(key)
      }
    },
  }
}
