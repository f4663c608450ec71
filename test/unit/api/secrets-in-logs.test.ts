import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { ADMIN_PASSWORD, createTestApi, type TestApi } from './api-fixture.ts'
import { VALID_INVITE } from './fake-node.ts'

const lines: string[] = []
let api: TestApi
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  api = await createTestApi({ logger: pino({ level: 'trace' }, sink) })
})
afterAll(() => api.close())

test('tokens, passwords, cookies and invite codes never reach the log, even at trace level', async () => {
  const login = await api.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: 'admin', password: ADMIN_PASSWORD },
  })
  const cookie = String(login.headers['set-cookie']).split(';')[0] as string
  await api.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: 'admin', password: 'a wrong one' },
  })
  await api.app.inject({ method: 'GET', url: '/api/v1/status', headers: { cookie } })
  const created = await api.app.inject({
    method: 'POST',
    url: '/api/v1/auth/tokens',
    headers: api.bearer,
    payload: { name: 'x' },
  })
  const invite = await api.app.inject({
    method: 'POST',
    url: '/api/v1/invites',
    headers: api.bearer,
    payload: {},
  })
  await api.app.inject({
    method: 'POST',
    url: '/api/v1/cloud/join',
    headers: api.bearer,
    payload: { invite: VALID_INVITE, force: true },
  })
  await api.app.inject({
    method: 'GET',
    url: '/api/v1/status',
    headers: { authorization: 'Bearer cloudy_wrong' },
  })

  const log = lines.join('')
  expect(log).toContain('failed login')
  for (const secret of [
    ADMIN_PASSWORD,
    'a wrong one',
    api.token,
    'cloudy_wrong',
    cookie.split('=')[1] as string,
    login.json().csrfToken,
    created.json().token,
    invite.json().code,
    VALID_INVITE,
  ]) {
    expect(log).not.toContain(secret)
  }
})
