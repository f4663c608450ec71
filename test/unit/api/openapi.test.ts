import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTestApi, type TestApi } from './api-fixture.ts'

interface Operation {
  security?: unknown[]
  requestBody?: { content: Record<string, { schema: { properties: Record<string, object> } }> }
  responses: Record<string, unknown>
}

let api: TestApi
let doc: {
  openapi: string
  info: { version: string }
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, unknown> }
}
beforeAll(async () => {
  api = await createTestApi()
  const res = await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })
  expect(res.statusCode).toBe(200)
  doc = res.json()
})
afterAll(() => api.close())

test('the OpenAPI document is public and describes every route', () => {
  expect(doc.openapi).toMatch(/^3\.0\./)
  expect(doc.info.version).toBe('0.1.0-test')
  const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  )
  expect(routes.sort()).toEqual(
    [
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/logout',
      'GET /api/v1/auth/me',
      'GET /api/v1/auth/tokens',
      'POST /api/v1/auth/tokens',
      'DELETE /api/v1/auth/tokens/{id}',
      'GET /api/v1/status',
      'GET /api/v1/nodes',
      'PUT /api/v1/node',
      'GET /api/v1/node/settings',
      'PUT /api/v1/node/settings',
      'POST /api/v1/cloud',
      'POST /api/v1/cloud/join',
      'DELETE /api/v1/cloud',
      'POST /api/v1/invites',
      'GET /api/v1/invites',
      'DELETE /api/v1/invites/{id}',
      'GET /api/v1/services',
      'POST /api/v1/services',
      'DELETE /api/v1/services/{type}/{port}',
      'POST /api/v1/services/scan',
      'GET /api/v1/builtin-services',
      'PUT /api/v1/builtin-services/{name}',
      'DELETE /api/v1/builtin-services/{name}',
      'GET /api/v1/events',
      'GET /api/v1/events/recent',
      'GET /api/v1/torrents',
      'POST /api/v1/torrents',
      'POST /api/v1/torrents/create',
      'GET /api/v1/torrents/{infoHash}',
      'GET /api/v1/torrents/{infoHash}/torrent',
      'POST /api/v1/torrents/{infoHash}/pause',
      'POST /api/v1/torrents/{infoHash}/resume',
      'DELETE /api/v1/torrents/{infoHash}',
      'GET /api/v1/tracker',
      'PUT /api/v1/uri',
      'GET /api/v1/uri/{cap}',
      'POST /api/v1/uri/{cap}/check',
      'POST /api/v1/uri/{cap}/verify',
      'GET /api/v1/storage/announcement',
      'GET /api/v1/storage/servers',
      'GET /metrics',
    ].sort(),
  )
})

test('request schemas carry the validation rules; login needs no credentials', () => {
  const body = doc.paths['/api/v1/services']?.post?.requestBody?.content['application/json']?.schema
  expect(body?.properties.port).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 })
  expect(body?.properties.type).toMatchObject({ type: 'string', pattern: expect.any(String) })
  expect(doc.paths['/api/v1/auth/login']?.post?.security).toEqual([])
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'session'])
})

test('errors and empty answers are documented', () => {
  const del = doc.paths['/api/v1/services/{type}/{port}']?.delete
  expect(Object.keys(del?.responses ?? {}).sort()).toEqual(['204', '4XX', '5XX'])
  expect(del?.responses['204']).not.toHaveProperty('content')
})
