import { expect, test } from 'vitest'
import { createSessionStore } from '../../../src/api/session-store.ts'

const admin = { username: 'admin', role: 'admin' } as const

test('a session lives while used and ends after the idle time', () => {
  let now = 0
  const sessions = createSessionStore({ clock: () => now, idleMs: 1000, maxAgeMs: 10_000 })
  const session = sessions.create(admin)
  expect(session.csrfToken).not.toBe(session.id)

  now = 900
  expect(sessions.get(session.id)?.user).toEqual(admin)
  now = 1800
  expect(sessions.get(session.id)).toBeDefined()
  now = 2800
  expect(sessions.get(session.id)).toBeUndefined()
})

test('a session ends at its maximum age however much it is used', () => {
  let now = 0
  const sessions = createSessionStore({ clock: () => now, idleMs: 1000, maxAgeMs: 2500 })
  const { id } = sessions.create(admin)
  for (now = 500; now < 2500; now += 500) expect(sessions.get(id)).toBeDefined()
  now = 2500
  expect(sessions.get(id)).toBeUndefined()
})

test('delete ends a session; unknown ids find nothing; the oldest go beyond the limit', () => {
  const sessions = createSessionStore({ clock: () => 0, maxSessions: 2 })
  const a = sessions.create(admin)
  const b = sessions.create(admin)
  sessions.delete(b.id)
  expect(sessions.get(b.id)).toBeUndefined()
  expect(sessions.get('nope')).toBeUndefined()
  const c = sessions.create(admin)
  const d = sessions.create(admin)
  expect(sessions.get(a.id)).toBeUndefined()
  expect(sessions.get(c.id)).toBeDefined()
  expect(sessions.get(d.id)).toBeDefined()
})
