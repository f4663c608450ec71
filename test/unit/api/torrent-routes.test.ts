import { afterEach, beforeEach, expect, test } from 'vitest'
import type { TorrentsApi } from '../../../src/torrents/client/torrent-client.ts'
import type { TorrentView } from '../../../src/torrents/views.ts'
import { CloudyError } from '../../../src/util/errors.ts'
import { createTestApi, type TestApi } from './api-fixture.ts'

type Reply = { statusCode: number; json(): { error: { code: string; message: string }; status: string } }
let f: TestApi & { request(method: string, url: string, payload?: unknown): Promise<Reply> }

beforeEach(async () => {
  const api = await createTestApi()
  f = Object.assign(api, {
    request: async (method: string, url: string, payload?: unknown): Promise<Reply> =>
      await api.app.inject({
        method: method as 'GET',
        url,
        headers: api.bearer,
        ...(payload === undefined ? {} : { payload: payload as object }),
      }),
  })
})
afterEach(async () => {
  await f.close()
})

const HASH = 'ab'.repeat(20)
const VIEW = { infoHash: HASH, name: 'film.mkv', status: 'downloading' } as TorrentView

test('torrent routes answer SERVICE_DISABLED (409) while the torrents service is off', async () => {
  const res = await f.request('GET', '/api/v1/torrents')
  expect(res.statusCode).toBe(409)
  expect(res.json().error.code).toBe('SERVICE_DISABLED')
  expect((await f.request('GET', '/api/v1/tracker')).json().error.code).toBe('SERVICE_DISABLED')
})

test('adding takes exactly one of magnet, torrent and seedPath, and passes the .torrent bytes on', async () => {
  const added: unknown[] = []
  f.node.torrentsApi = {
    add: async (input: unknown) => {
      added.push(input)
      return VIEW
    },
    pause: async (infoHash: string) => {
      if (infoHash !== HASH) throw new CloudyError('NOT_FOUND', 'no torrent')
      return { ...VIEW, status: 'paused' }
    },
  } as unknown as TorrentsApi
  const none = await f.request('POST', '/api/v1/torrents', {})
  expect(none.statusCode).toBe(400)
  const two = await f.request('POST', '/api/v1/torrents', { magnet: 'magnet:?x', seedPath: '/x' })
  expect(two.statusCode).toBe(400)
  const relative = await f.request('POST', '/api/v1/torrents', { seedPath: 'films/x.mkv' })
  expect(relative.json().error.message).toContain('absolute path')
  const ok = await f.request('POST', '/api/v1/torrents', {
    torrent: Buffer.from('d4:spami1ee').toString('base64'),
  })
  expect(ok.statusCode).toBe(201)
  expect(added).toEqual([{ torrent: Buffer.from('d4:spami1ee') }])
  expect((await f.request('POST', `/api/v1/torrents/${HASH.toUpperCase()}/pause`)).json().status).toBe(
    'paused',
  )
  expect((await f.request('POST', '/api/v1/torrents/xyz/pause')).statusCode).toBe(400)
})
