import { request } from 'node:http'
import { afterEach, expect, test } from 'vitest'
import { createTestApi, listeningPort, type TestApi } from './api-fixture.ts'

let api: TestApi
afterEach(() => api.close())

interface Stream {
  status: number
  contentType: string | undefined
  /** resolves once the text received so far contains `text` */
  waitFor(text: string): Promise<string>
  close(): void
}

async function openStream(headers: Record<string, string>): Promise<Stream> {
  const port = await listeningPort(api.app)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/events', headers }, (res) => {
      let received = ''
      const waiters: { text: string; done: (all: string) => void }[] = []
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        received += chunk
        for (const w of waiters.filter((w) => received.includes(w.text))) w.done(received)
      })
      resolve({
        status: res.statusCode ?? 0,
        contentType: res.headers['content-type'],
        waitFor: (text) =>
          received.includes(text)
            ? Promise.resolve(received)
            : new Promise((done) => waiters.push({ text, done })),
        close: () => req.destroy(),
      })
    })
    req.on('error', reject)
    req.end()
  })
}

test('the event stream delivers node events as server-sent events, with heartbeats', async () => {
  api = await createTestApi({ init: { eventHeartbeatMs: 50 } })
  const stream = await openStream(api.bearer)
  expect(stream.status).toBe(200)
  expect(stream.contentType).toContain('text/event-stream')
  await stream.waitFor(': connected')

  await api.node.publish({ type: 'web', port: 8080, description: 'wiki' })
  const text = await stream.waitFor('"port":8080')
  const event = text.split('\n\n').find((block) => block.startsWith('event: service:published'))
  expect(event).toBeDefined()
  const data = JSON.parse((event as string).split('\n')[1]?.replace(/^data: /, '') ?? '')
  expect(data).toMatchObject({ type: 'web', port: 8080, description: 'wiki' })

  await stream.waitFor(': heartbeat')
  stream.close()
})

test('a closed stream lets go of its listeners; closing the server ends open streams', async () => {
  api = await createTestApi()
  const before = api.node.events.listeners
  const first = await openStream(api.bearer)
  await first.waitFor(': connected')
  expect(api.node.events.listeners).toBeGreaterThan(before)
  first.close()
  await expect.poll(() => api.node.events.listeners).toBe(before)

  const second = await openStream(api.bearer)
  await second.waitFor(': connected')
  await api.app.close()
  // the server's own listeners (the event log) go too
  await expect.poll(() => api.node.events.listeners).toBe(0)
})

test('the event stream needs credentials', async () => {
  api = await createTestApi()
  const stream = await openStream({})
  expect(stream.status).toBe(401)
  stream.close()
})
