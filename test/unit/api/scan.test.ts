import { request } from 'node:http'
import { afterEach, expect, test } from 'vitest'
import { createTestApi, listeningPort, type TestApi } from './api-fixture.ts'

let api: TestApi
afterEach(() => api.close())

test('a scan stops when its client goes away', async () => {
  api = await createTestApi()
  api.node.holdScans = true
  const port = await listeningPort(api.app)
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/v1/services/scan',
    headers: { ...api.bearer, 'content-type': 'application/json' },
  })
  req.on('error', () => {})
  req.end('{}')
  await expect.poll(() => api.node.lastScanSignal).toBeDefined()
  expect(api.node.lastScanSignal?.aborted).toBe(false)
  req.destroy()
  await expect.poll(() => api.node.lastScanSignal?.aborted).toBe(true)
})
