import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createTestApi, type TestApi } from './api-fixture.ts'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(() => api.close())

interface BadRequest {
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  url: string
  payload?: unknown
  headers?: Record<string, string>
  status: number
  code: string
  message?: RegExp
}

const publish = (body: unknown): Omit<BadRequest, 'name' | 'status' | 'code'> => ({
  method: 'POST',
  url: '/api/v1/services',
  payload: body,
})

const cases: BadRequest[] = [
  {
    name: 'port 0',
    ...publish({ type: 'web', port: 0 }),
    status: 400,
    code: 'INVALID_INPUT',
    message: /body\.port/,
  },
  { name: 'port 65536', ...publish({ type: 'web', port: 65536 }), status: 400, code: 'INVALID_INPUT' },
  { name: 'port 8.5', ...publish({ type: 'web', port: 8.5 }), status: 400, code: 'INVALID_INPUT' },
  { name: 'port as text', ...publish({ type: 'web', port: 'eighty' }), status: 400, code: 'INVALID_INPUT' },
  {
    name: 'type with underscore',
    ...publish({ type: '_http._tcp', port: 80 }),
    status: 400,
    code: 'INVALID_INPUT',
    message: /body\.type/,
  },
  { name: 'type with space', ...publish({ type: 'my web', port: 80 }), status: 400, code: 'INVALID_INPUT' },
  {
    name: 'type of 64 chars',
    ...publish({ type: 'a'.repeat(64), port: 80 }),
    status: 400,
    code: 'INVALID_INPUT',
  },
  { name: 'missing type', ...publish({ port: 80 }), status: 400, code: 'INVALID_INPUT' },
  {
    name: 'unknown field',
    ...publish({ type: 'web', port: 80, descripton: 'typo' }),
    status: 400,
    code: 'INVALID_INPUT',
    message: /descripton/,
  },
  {
    name: 'txt key with =',
    ...publish({ type: 'web', port: 80, txt: { 'a=b': 'c' } }),
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'txt value of 256 chars',
    ...publish({ type: 'web', port: 80, txt: { a: 'x'.repeat(256) } }),
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'description with escape codes',
    ...publish({ type: 'web', port: 80, description: 'red \u001b[31m' }),
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'body not JSON',
    method: 'POST',
    url: '/api/v1/services',
    payload: '{"type": "web",',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'empty JSON body',
    method: 'POST',
    url: '/api/v1/cloud',
    payload: '',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'JSON array body',
    method: 'POST',
    url: '/api/v1/cloud',
    payload: '[1,2]',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'text body',
    method: 'POST',
    url: '/api/v1/cloud',
    payload: 'name=x',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body over 64 KiB',
    ...publish({ type: 'web', port: 80, description: 'x'.repeat(70_000) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'port 0 in the path',
    method: 'DELETE',
    url: '/api/v1/services/web/0',
    status: 400,
    code: 'INVALID_INPUT',
    message: /params\.port/,
  },
  {
    name: 'port as text in the path',
    method: 'DELETE',
    url: '/api/v1/services/web/http',
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'bad type in the query',
    method: 'GET',
    url: '/api/v1/services?type=Web!',
    status: 400,
    code: 'INVALID_INPUT',
    message: /querystring\.type/,
  },
  {
    name: 'txt filter without =',
    method: 'GET',
    url: '/api/v1/services?txt=novalue',
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'invite expiry not a duration',
    method: 'POST',
    url: '/api/v1/invites',
    payload: { expires: 'forever' },
    status: 400,
    code: 'INVALID_INPUT',
    message: /duration/,
  },
  {
    name: 'invite expiry over 30 days',
    method: 'POST',
    url: '/api/v1/invites',
    payload: { expires: '31d' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'empty invite code',
    method: 'POST',
    url: '/api/v1/cloud/join',
    payload: { invite: '  ' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'cloud name with control characters',
    method: 'POST',
    url: '/api/v1/cloud',
    payload: { name: 'a\nb' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'force not a boolean',
    method: 'POST',
    url: '/api/v1/cloud',
    payload: { name: 'x', force: 'yes' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'node name with a slash',
    method: 'PUT',
    url: '/api/v1/node',
    payload: { name: 'a/b' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'built-in name with capitals',
    method: 'PUT',
    url: '/api/v1/builtin-services/Storage',
    payload: {},
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'built-in options not an object',
    method: 'PUT',
    url: '/api/v1/builtin-services/storage',
    payload: { options: [1] },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'invite id with a dot',
    method: 'DELETE',
    url: '/api/v1/invites/a.b',
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'token name missing',
    method: 'POST',
    url: '/api/v1/auth/tokens',
    payload: {},
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'login without password',
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: 'admin' },
    status: 400,
    code: 'INVALID_INPUT',
  },
]

describe('bad input gets a 4xx with a stable code, never a 500', () => {
  test.each(cases)('$name', async ({ method, url, payload, headers, status, code, message }) => {
    const res = await api.app.inject({
      method,
      url,
      headers: { ...api.bearer, ...headers },
      ...(payload !== undefined && { payload: payload as string }),
    })
    expect(res.statusCode).toBe(status)
    const body = res.json()
    expect(body.error.code).toBe(code)
    expect(body.error.message).toEqual(expect.any(String))
    if (message) expect(body.error.message).toMatch(message)
  })

  test('nothing reached the node', () => {
    expect(api.node.services).toEqual([])
  })
})

describe('defaults', () => {
  test('an invite without expiry is valid for 24 hours', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/invites',
      headers: api.bearer,
      payload: {},
    })
    expect(res.statusCode).toBe(201)
    const invite = res.json()
    expect(invite.expiresAt - invite.createdAt).toBe(24 * 3_600_000)
  })

  test('a body-less PUT enables a built-in service with no options', async () => {
    const res = await api.app.inject({
      method: 'PUT',
      url: '/api/v1/builtin-services/storage',
      headers: api.bearer,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ name: 'storage', enabled: true, options: {} })
  })
})
