import { afterEach, expect, test } from 'vitest'
import { createEventLog } from '../../../src/api/event-log.ts'
import { createTestApi, type TestApi } from './api-fixture.ts'
import { FakeNode } from './fake-node.ts'

let api: TestApi | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
})

test('GET /events/recent answers the node events since the start, oldest first', async () => {
  api = await createTestApi()
  await api.node.publish({ type: 'web', port: 8080, description: 'wiki' })
  await api.node.createInvite({ expiresInMs: 60_000 })
  const res = await api.app.inject({ method: 'GET', url: '/api/v1/events/recent', headers: api.bearer })
  expect(res.statusCode).toBe(200)
  const entries = res.json()
  expect(entries.map((e: { seq: number; event: string }) => [e.seq, e.event])).toEqual([
    [1, 'service:published'],
    [2, 'invite:created'],
  ])
  expect(entries[0].data).toMatchObject({ type: 'web', port: 8080 })
  const newer = await api.app.inject({
    method: 'GET',
    url: '/api/v1/events/recent?after=1',
    headers: api.bearer,
  })
  expect(newer.json().map((e: { seq: number }) => e.seq)).toEqual([2])
  expect((await api.app.inject({ method: 'GET', url: '/api/v1/events/recent' })).statusCode).toBe(401)
})

test('the log keeps the last N entries and skips member updates that only refresh resources', () => {
  const node = new FakeNode()
  const log = createEventLog({ size: 3 }, { node, clock: () => 42 })
  const [self] = node.members()
  if (!self) throw new Error('no member')
  node.events.emit('member:joined', self)
  node.events.emit('member:updated', { ...self, resources: { ...self.resources, load1: 3 } })
  node.events.emit('member:updated', { ...self, name: 'renamed' })
  expect(log.recent().map((e) => e.event)).toEqual(['member:joined', 'member:updated'])
  for (let i = 0; i < 3; i++) node.events.emit('member:died', self)
  expect(log.recent().map((e) => [e.seq, e.event])).toEqual([
    [3, 'member:died'],
    [4, 'member:died'],
    [5, 'member:died'],
  ])
  expect(log.recent({ limit: 1 })).toEqual([{ seq: 5, at: 42, event: 'member:died', data: self }])
  log.close()
  expect(node.events.listeners).toBe(0)
})
