import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createTestApi, type TestApi } from './api-fixture.ts'
import { VALID_INVITE } from './fake-node.ts'

let api: TestApi
beforeEach(async () => {
  api = await createTestApi()
})
afterEach(() => api.close())

function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) {
  return api.app.inject({ method, url, headers: api.bearer, ...(payload && { payload }) })
}

describe('node', () => {
  test('status and nodes answer what the node says', async () => {
    expect((await call('GET', '/api/v1/status')).json()).toEqual(api.node.status())
    const nodes = (await call('GET', '/api/v1/nodes')).json()
    expect(nodes.map((m: { name: string; status: string }) => [m.name, m.status])).toEqual([
      ['alpha', 'alive'],
      ['beta', 'suspect'],
    ])
  })

  test('PUT /node renames the node and answers the new status', async () => {
    const res = await call('PUT', '/api/v1/node', { name: 'gamma' })
    expect(res.statusCode).toBe(200)
    expect(res.json().name).toBe('gamma')
  })
})

describe('cloud', () => {
  test('create (with force), leave, join', async () => {
    const created = await call('POST', '/api/v1/cloud', { name: 'my cloud', force: true })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ name: 'my cloud', keyFingerprint: expect.any(String) })

    expect((await call('DELETE', '/api/v1/cloud')).statusCode).toBe(204)
    expect(api.node.cloud).toBeNull()

    const joined = await call('POST', '/api/v1/cloud/join', { invite: `  ${VALID_INVITE}\n` })
    expect(joined.statusCode).toBe(200)
    expect(joined.json().name).toBe('joined')
  })
})

describe('invites', () => {
  test('create returns the code once; list and revoke show state without it', async () => {
    const created = (await call('POST', '/api/v1/invites', { expires: '2h' })).json()
    expect(created.code).toEqual(expect.any(String))
    expect(created.expiresAt - created.createdAt).toBe(2 * 3_600_000)

    const listed = await call('GET', '/api/v1/invites')
    expect(listed.json()).toEqual([expect.objectContaining({ id: created.id, state: 'active' })])
    expect(listed.body).not.toContain(created.code)

    const revoked = await call('DELETE', `/api/v1/invites/${created.id}`)
    expect(revoked.json()).toMatchObject({ id: created.id, state: 'revoked' })
  })
})

describe('services', () => {
  test('publish, search by type, host and txt (repeatable), unpublish', async () => {
    const web = await call('POST', '/api/v1/services', {
      type: 'web',
      port: 8080,
      description: 'wiki',
      txt: { path: '/wiki', lang: 'ca' },
      public: true,
    })
    expect(web.statusCode).toBe(201)
    expect(web.json()).toMatchObject({ type: 'web', port: 8080, public: true, local: true })
    await call('POST', '/api/v1/services', { type: 'web', port: 8081, txt: { path: '/blog' } })
    await call('POST', '/api/v1/services', { type: 'tahoe-storage', port: 3456, host: '10.0.0.5' })

    const ports = async (query: string) =>
      (await call('GET', `/api/v1/services${query}`)).json().map((s: { port: number }) => s.port)
    expect(await ports('')).toEqual([8080, 8081, 3456])
    expect(await ports('?type=web')).toEqual([8080, 8081])
    expect(await ports('?host=10.0.0.5')).toEqual([3456])
    expect(await ports('?txt=path=/wiki')).toEqual([8080])
    expect(await ports('?txt=path=/wiki&txt=lang=de')).toEqual([])
    expect(await ports('?txt=path=/wiki&txt=lang=ca')).toEqual([8080])

    expect((await call('DELETE', '/api/v1/services/web/8081')).statusCode).toBe(204)
    expect(await ports('?type=web')).toEqual([8080])
  })

  test('scan answers the matching services with their reachability', async () => {
    await call('POST', '/api/v1/services', { type: 'web', port: 8080 })
    const res = await call('POST', '/api/v1/services/scan', { type: 'web' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual([
      expect.objectContaining({ port: 8080, quality: expect.objectContaining({ reachable: true }) }),
    ])
    expect(api.node.lastScanSignal).toBeInstanceOf(AbortSignal)
  })
})

describe('built-in services', () => {
  test('list, enable with options, disable', async () => {
    expect((await call('GET', '/api/v1/builtin-services')).json()).toEqual([
      expect.objectContaining({ name: 'storage', enabled: false }),
    ])
    const enabled = await call('PUT', '/api/v1/builtin-services/storage', { options: { capacity: 20e9 } })
    expect(enabled.json()).toMatchObject({ enabled: true, running: true, options: { capacity: 20e9 } })
    const disabled = await call('DELETE', '/api/v1/builtin-services/storage')
    expect(disabled.json()).toMatchObject({ enabled: false, running: false })
  })
})

describe('node settings', () => {
  test('the listen address is saved for the next start; the answer says a restart is needed', async () => {
    expect((await call('GET', '/api/v1/node/settings')).json()).toMatchObject({
      host: '127.0.0.1',
      restartRequired: false,
    })
    const res = await call('PUT', '/api/v1/node/settings', { host: '0.0.0.0' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ host: '127.0.0.1', savedHost: '0.0.0.0', restartRequired: true })
    const bad = await call('PUT', '/api/v1/node/settings', { host: 'not a host' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.message).toContain('body.host')
  })
})
