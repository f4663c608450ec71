import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTestApi, type TestApi } from './api-fixture.ts'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(() => api.close())

test('/metrics needs credentials', async () => {
  expect((await api.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401)
})

test('/metrics serves process metrics and the node gauges in the Prometheus text format', async () => {
  await api.node.publish({ type: 'web', port: 80 })
  const res = await api.app.inject({ method: 'GET', url: '/metrics', headers: api.bearer })
  expect(res.statusCode).toBe(200)
  expect(res.headers['content-type']).toContain('text/plain')
  expect(res.body).toContain('process_cpu_seconds_total')
  expect(res.body).toContain('cloudy_members{status="alive"} 1')
  expect(res.body).toContain('cloudy_members{status="suspect"} 1')
  expect(res.body).toContain('cloudy_members{status="dead"} 0')
  expect(res.body).toMatch(/^cloudy_services 1$/m)
})
