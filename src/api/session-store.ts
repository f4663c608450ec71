import { randomSecret, sha256Hex } from './secrets.ts'

export interface ApiUser {
  username: string
  role: 'admin'
}

export interface Session {
  /** the secret that goes into the cookie; the store keeps only its hash */
  id: string
  user: ApiUser
  /** sent by the browser in the X-Cloudy-CSRF header on every mutation */
  csrfToken: string
  createdAt: number
  /** when the session ends unless used before */
  expiresAt: number
}

export interface SessionStoreInit {
  clock: () => number
  /** a session unused this long ends; default 30 minutes */
  idleMs?: number
  /** a session ends this long after login however much it is used; default 12 hours */
  maxAgeMs?: number
  /** the oldest sessions are dropped beyond this many; default 1000 */
  maxSessions?: number
}

export interface SessionStore {
  create(user: ApiUser): Session
  /** The live session with this id (its idle timer restarted), or undefined. */
  get(id: string): Session | undefined
  delete(id: string): void
}

interface Entry {
  user: ApiUser
  csrfToken: string
  createdAt: number
  lastUsedAt: number
}

/** Browser sessions, in memory only: a daemon restart logs everybody out. */
export function createSessionStore(init: SessionStoreInit): SessionStore {
  const idleMs = init.idleMs ?? 30 * 60_000
  const maxAgeMs = init.maxAgeMs ?? 12 * 3_600_000
  const maxSessions = init.maxSessions ?? 1000
  /** keyed by the SHA-256 of the session id, so lookups take no time that depends on the secret */
  const sessions = new Map<string, Entry>()

  const expiresAt = (entry: Entry) => Math.min(entry.lastUsedAt + idleMs, entry.createdAt + maxAgeMs)
  const view = (id: string, entry: Entry): Session => ({
    id,
    user: entry.user,
    csrfToken: entry.csrfToken,
    createdAt: entry.createdAt,
    expiresAt: expiresAt(entry),
  })

  function sweep(now: number): void {
    for (const [key, entry] of sessions) if (expiresAt(entry) <= now) sessions.delete(key)
    for (const key of sessions.keys()) {
      if (sessions.size < maxSessions) break
      sessions.delete(key)
    }
  }

  return {
    create(user) {
      const now = init.clock()
      sweep(now)
      const id = randomSecret(32)
      const entry = { user, csrfToken: randomSecret(24), createdAt: now, lastUsedAt: now }
      sessions.set(sha256Hex(id), entry)
      return view(id, entry)
    },
    get(id) {
      const key = sha256Hex(id)
      const entry = sessions.get(key)
      if (entry === undefined) return undefined
      const now = init.clock()
      if (expiresAt(entry) <= now) {
        sessions.delete(key)
        return undefined
      }
      entry.lastUsedAt = now
      return view(id, entry)
    },
    delete(id) {
      sessions.delete(sha256Hex(id))
    },
  }
}
