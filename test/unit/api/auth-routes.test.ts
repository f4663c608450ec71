import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ADMIN_PASSWORD, createTestApi, login, type TestApi } from './api-fixture.ts'

let api: TestApi
beforeEach(async () => {
  api = await createTestApi({ init: { loginLimits: { perClient: 3, global: 100 } } })
})
afterEach(() => api.close())

describe('credentials', () => {
  test('a route refuses a request without credentials with 401 UNAUTHORIZED', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/status' })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } })
    expect(res.headers['www-authenticate']).toContain('Bearer')
  })

  test('an unknown token and a malformed Authorization header are refused', async () => {
    for (const authorization of ['Bearer cloudy_not-a-real-token', 'Basic YWRtaW46eA==', 'Bearer']) {
      const res = await api.app.inject({ method: 'GET', url: '/api/v1/status', headers: { authorization } })
      expect(res.statusCode, authorization).toBe(401)
      expect(res.json().error.code).toBe('UNAUTHORIZED')
    }
  })

  test('the CLI token written by initAuth opens every route', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/status', headers: api.bearer })
    expect(res.statusCode).toBe(200)
    expect(res.json().name).toBe('alpha')
  })
})

describe('login', () => {
  test('a wrong password or user is refused with 401', async () => {
    for (const payload of [
      { username: 'admin', password: 'wrong password' },
      { username: 'root', password: ADMIN_PASSWORD },
    ]) {
      const res = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload })
      expect(res.statusCode).toBe(401)
      expect(res.headers['set-cookie']).toBeUndefined()
    }
  })

  test('login sets an HttpOnly, SameSite=Strict session cookie that authenticates reads', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ user: { username: 'admin', role: 'admin' }, csrfToken: expect.any(String) })
    const cookie = String(res.headers['set-cookie'])
    expect(cookie).toMatch(/^cloudy_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict/)

    const me = await api.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: cookie.split(';')[0] },
    })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toEqual({
      user: { username: 'admin', role: 'admin' },
      via: 'session',
      csrfToken: res.json().csrfToken,
    })
  })

  test('a change made with the cookie needs the session CSRF token in X-Cloudy-CSRF', async () => {
    const { cookie, csrfToken } = await login(api.app)
    const rename = (headers: Record<string, string>) =>
      api.app.inject({
        method: 'PUT',
        url: '/api/v1/node',
        headers: { cookie, ...headers },
        payload: { name: 'gamma' },
      })

    const without = await rename({})
    expect(without.statusCode).toBe(403)
    expect(without.json().error.code).toBe('FORBIDDEN')
    expect((await rename({ 'x-cloudy-csrf': 'guess' })).statusCode).toBe(403)
    expect(api.node.name).toBe('alpha')

    expect((await rename({ 'x-cloudy-csrf': csrfToken })).statusCode).toBe(200)
    expect(api.node.name).toBe('gamma')
  })

  test('logout ends the session', async () => {
    const { cookie, csrfToken } = await login(api.app)
    const out = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie, 'x-cloudy-csrf': csrfToken },
    })
    expect(out.statusCode).toBe(204)
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0')
    const after = await api.app.inject({ method: 'GET', url: '/api/v1/status', headers: { cookie } })
    expect(after.statusCode).toBe(401)
  })

  test('repeated failures from one client are rate limited with 429 and Retry-After', async () => {
    const attempt = () =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin', password: 'nope-nope' },
      })
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401)
    const limited = await attempt()
    expect(limited.statusCode).toBe(429)
    expect(limited.json().error.code).toBe('RATE_LIMITED')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // even the right password waits
    const right = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    })
    expect(right.statusCode).toBe(429)
  })
})

describe('API tokens', () => {
  test('a created token is shown once, works, is listed without its secret and stops working when revoked', async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      headers: api.bearer,
      payload: { name: 'prometheus' },
    })
    expect(created.statusCode).toBe(201)
    const { token, id } = created.json()
    expect(token).toMatch(/^cloudy_[\w-]{43}$/)

    const bearer = { authorization: `Bearer ${token}` }
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer })).json()).toEqual(
      {
        user: { username: 'admin', role: 'admin' },
        via: 'token',
      },
    )

    const list = await api.app.inject({ method: 'GET', url: '/api/v1/auth/tokens', headers: api.bearer })
    expect(list.json().map((t: { name: string }) => t.name)).toEqual(['cli', 'prometheus'])
    expect(list.body).not.toContain(token)

    const revoked = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/auth/tokens/${id}`,
      headers: api.bearer,
    })
    expect(revoked.statusCode).toBe(204)
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/status', headers: bearer })).statusCode).toBe(
      401,
    )
    const again = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/auth/tokens/${id}`,
      headers: api.bearer,
    })
    expect(again.statusCode).toBe(404)
  })
})
