import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { CloudyError } from '../../../src/util/errors.ts'
import { createTestApi, type TestApi } from './api-fixture.ts'
import { VALID_INVITE } from './fake-node.ts'

let api: TestApi | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
})

describe('errors of the node map to status codes through ERROR_CODES', () => {
  test.each([
    ['ALREADY_MEMBER', 409, { method: 'POST', url: '/api/v1/cloud', payload: { name: 'other' } }],
    [
      'INVITE_REFUSED',
      403,
      { method: 'POST', url: '/api/v1/cloud/join', payload: { invite: 'used-one', force: true } },
    ],
    ['NOT_FOUND', 404, { method: 'PUT', url: '/api/v1/builtin-services/torrents', payload: {} }],
    ['NOT_FOUND', 404, { method: 'DELETE', url: '/api/v1/services/web/80' }],
  ] as const)('%s → %i', async (code, status, request) => {
    api = await createTestApi()
    const res = await api.app.inject({ ...request, headers: api.bearer })
    expect(res.statusCode).toBe(status)
    expect(res.json().error.code).toBe(code)
  })

  test('an unexpected error is a 500 INTERNAL whose details stay in the log', async () => {
    const lines: string[] = []
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk))
          done()
        },
      }),
    )
    api = await createTestApi({ logger })
    vi.spyOn(api.node, 'status').mockImplementation(() => {
      throw new TypeError('cannot read properties of undefined (secret internals)')
    })
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/status', headers: api.bearer })
    expect(res.statusCode).toBe(500)
    expect(res.json().error.code).toBe('INTERNAL')
    expect(res.body).not.toContain('secret internals')
    expect(lines.join('')).toContain('secret internals')
  })

  test('a CloudyError with a 5xx code keeps its message', async () => {
    api = await createTestApi()
    vi.spyOn(api.node, 'joinCloud').mockRejectedValue(
      new CloudyError('JOIN_FAILED', 'no member in the invite answered'),
    )
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cloud/join',
      headers: api.bearer,
      payload: { invite: VALID_INVITE },
    })
    expect(res.statusCode).toBe(502)
    expect(res.json()).toEqual({
      error: { code: 'JOIN_FAILED', message: 'no member in the invite answered' },
    })
  })
})

describe('unknown routes', () => {
  test('answer 404 NOT_FOUND in JSON, with or without credentials', async () => {
    api = await createTestApi()
    for (const url of ['/api/v1/nope', '/api/v2/status', '/metrics/nope']) {
      const res = await api.app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(404)
      expect(res.json().error.code).toBe('NOT_FOUND')
    }
  })
})
