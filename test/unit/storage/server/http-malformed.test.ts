import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { swissnumAuthorization } from '../../../../src/storage/server/nurl.ts'
import { decodeCbor, encodeCbor } from '../../../../src/storage/server/storage-cbor.ts'
import { storageIndexToBase32 } from '../../../../src/storage/server/storage-index.ts'
import { type RawRequest, rawClient } from './raw-https.ts'
import { startTestServer, type TestServer } from './test-server.ts'

const SWISSNUM = 'abcdefghijklmnopqrstuvwxyz234567'
let server: TestServer
let raw: ReturnType<typeof rawClient>
const auth = { authorization: swissnumAuthorization(SWISSNUM) }
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64')
const lease = () => [
  `lease-renew-secret ${b64(randomBytes(32))}`,
  `lease-cancel-secret ${b64(randomBytes(32))}`,
]

const si = storageIndexToBase32(randomBytes(16))
const uploadSecret = `upload-secret ${b64(randomBytes(16))}`

beforeAll(async () => {
  server = await startTestServer({ swissnum: SWISSNUM })
  raw = rawClient(server.port)
  // one complete share and one upload in progress at `si`
  const alloc = await send({
    method: 'POST',
    path: `/storage/v1/immutable/${si}`,
    headers: { ...auth, 'x-tahoe-authorization': [...lease(), uploadSecret] },
    body: encodeCbor(
      new Map<string, unknown>([
        ['share-numbers', new Set([0, 1])],
        ['allocated-size', 10],
      ]),
    ),
  })
  expect(alloc.status).toBe(200)
  const done = await send({
    method: 'PATCH',
    path: `/storage/v1/immutable/${si}/0`,
    headers: { ...auth, 'x-tahoe-authorization': uploadSecret, 'content-range': 'bytes 0-9/*' },
    body: Buffer.from('0123456789'),
  })
  expect(done.status).toBe(201)
})

afterAll(async () => {
  raw.close()
  await server.destroy()
})

function send(r: RawRequest) {
  return raw.send(r)
}

describe('malformed requests get a clear 4xx, never a 5xx', () => {
  const cases: [string, () => RawRequest, number][] = [
    ['unknown path', () => ({ method: 'GET', path: '/storage/v1/nothing', headers: auth }), 404],
    ['not the storage prefix', () => ({ method: 'GET', path: '/', headers: auth }), 404],
    [
      'storage index with bad characters',
      () => ({ method: 'GET', path: `/storage/v1/immutable/${'A'.repeat(26)}/shares`, headers: auth }),
      404,
    ],
    [
      'storage index too short',
      () => ({ method: 'GET', path: `/storage/v1/immutable/${si.slice(1)}/shares`, headers: auth }),
      404,
    ],
    [
      'storage index with padding bits',
      () => ({ method: 'GET', path: `/storage/v1/immutable/${si.slice(0, 25)}b/shares`, headers: auth }),
      404,
    ],
    [
      'share number 256',
      () => ({ method: 'GET', path: `/storage/v1/immutable/${si}/256`, headers: auth }),
      404,
    ],
    [
      'share number with a sign',
      () => ({ method: 'GET', path: `/storage/v1/immutable/${si}/-1`, headers: auth }),
      404,
    ],
    ['wrong method', () => ({ method: 'DELETE', path: '/storage/v1/version', headers: auth }), 405],
    ['no Authorization', () => ({ method: 'GET', path: '/storage/v1/version' }), 401],
    [
      'wrong swissnum',
      () => ({
        method: 'GET',
        path: '/storage/v1/version',
        headers: { authorization: swissnumAuthorization('x'.repeat(32)) },
      }),
      401,
    ],
    [
      'swissnum not base64-wrapped',
      () => ({
        method: 'GET',
        path: '/storage/v1/version',
        headers: { authorization: `Tahoe-LAFS ${SWISSNUM}` },
      }),
      401,
    ],
    [
      'a secret where none belongs',
      () => ({
        method: 'GET',
        path: '/storage/v1/version',
        headers: { ...auth, 'x-tahoe-authorization': uploadSecret },
      }),
      400,
    ],
    ['lease without secrets', () => ({ method: 'PUT', path: `/storage/v1/lease/${si}`, headers: auth }), 400],
    [
      'lease secret of 31 bytes',
      () => ({
        method: 'PUT',
        path: `/storage/v1/lease/${si}`,
        headers: {
          ...auth,
          'x-tahoe-authorization': [
            `lease-renew-secret ${b64(randomBytes(31))}`,
            `lease-cancel-secret ${b64(randomBytes(32))}`,
          ],
        },
      }),
      400,
    ],
    [
      'unknown secret kind',
      () => ({
        method: 'PUT',
        path: `/storage/v1/lease/${si}`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), 'magic-secret AAAA'] },
      }),
      400,
    ],
    [
      'secret not base64',
      () => ({
        method: 'PUT',
        path: `/storage/v1/lease/${si}`,
        headers: {
          ...auth,
          'x-tahoe-authorization': ['lease-renew-secret !!!!', 'lease-cancel-secret ????'],
        },
      }),
      400,
    ],
    [
      'allocation body not CBOR',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), uploadSecret] },
        body: Buffer.from([0xff, 0x00, 0x13]),
      }),
      400,
    ],
    [
      'allocation with trailing bytes',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), uploadSecret] },
        body: Buffer.concat([
          encodeCbor(
            new Map<string, unknown>([
              ['share-numbers', new Set([2])],
              ['allocated-size', 1],
            ]),
          ),
          Buffer.from([0]),
        ]),
      }),
      400,
    ],
    [
      'allocation with an unknown key',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), uploadSecret] },
        body: encodeCbor(
          new Map<string, unknown>([
            ['share-numbers', new Set([2])],
            ['allocated-size', 1],
            ['x', 1],
          ]),
        ),
      }),
      400,
    ],
    [
      'allocation with a negative size',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), uploadSecret] },
        body: encodeCbor(
          new Map<string, unknown>([
            ['share-numbers', new Set([2])],
            ['allocated-size', -5],
          ]),
        ),
      }),
      400,
    ],
    [
      'allocation with share 300',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), uploadSecret] },
        body: encodeCbor(
          new Map<string, unknown>([
            ['share-numbers', new Set([300])],
            ['allocated-size', 1],
          ]),
        ),
      }),
      400,
    ],
    [
      'allocation with an unknown tag',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), uploadSecret] },
        body: Buffer.from('d9010380', 'hex'),
      }),
      400,
    ],
    [
      'allocation as text/plain',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}`,
        headers: {
          ...auth,
          'content-type': 'text/plain',
          'x-tahoe-authorization': [...lease(), uploadSecret],
        },
        body: Buffer.from('hi'),
      }),
      415,
    ],
    [
      'allocation over 8 KiB',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), uploadSecret] },
        body: Buffer.alloc(9000),
      }),
      413,
    ],
    [
      'answer only as HTML',
      () => ({ method: 'GET', path: '/storage/v1/version', headers: { ...auth, accept: 'text/html' } }),
      406,
    ],
    [
      'write without Content-Range',
      () => ({
        method: 'PATCH',
        path: `/storage/v1/immutable/${si}/1`,
        headers: { ...auth, 'x-tahoe-authorization': uploadSecret },
        body: Buffer.from('ab'),
      }),
      416,
    ],
    [
      'write with a reversed Content-Range',
      () => ({
        method: 'PATCH',
        path: `/storage/v1/immutable/${si}/1`,
        headers: { ...auth, 'x-tahoe-authorization': uploadSecret, 'content-range': 'bytes 5-1/*' },
        body: Buffer.from('ab'),
      }),
      416,
    ],
    [
      'write whose body is shorter than its range',
      () => ({
        method: 'PATCH',
        path: `/storage/v1/immutable/${si}/1`,
        headers: { ...auth, 'x-tahoe-authorization': uploadSecret, 'content-range': 'bytes 0-4/*' },
        body: Buffer.from('ab'),
      }),
      400,
    ],
    [
      'write past the allocated size',
      () => ({
        method: 'PATCH',
        path: `/storage/v1/immutable/${si}/1`,
        headers: { ...auth, 'x-tahoe-authorization': uploadSecret, 'content-range': 'bytes 8-11/*' },
        body: Buffer.from('abcd'),
      }),
      416,
    ],
    [
      'write to a share never allocated',
      () => ({
        method: 'PATCH',
        path: `/storage/v1/immutable/${si}/7`,
        headers: { ...auth, 'x-tahoe-authorization': uploadSecret, 'content-range': 'bytes 0-1/*' },
        body: Buffer.from('ab'),
      }),
      404,
    ],
    [
      'write to a complete share',
      () => ({
        method: 'PATCH',
        path: `/storage/v1/immutable/${si}/0`,
        headers: { ...auth, 'x-tahoe-authorization': uploadSecret, 'content-range': 'bytes 0-1/*' },
        body: Buffer.from('01'),
      }),
      404,
    ],
    [
      'write with another upload secret',
      () => ({
        method: 'PATCH',
        path: `/storage/v1/immutable/${si}/1`,
        headers: {
          ...auth,
          'x-tahoe-authorization': `upload-secret ${b64(randomBytes(16))}`,
          'content-range': 'bytes 0-1/*',
        },
        body: Buffer.from('ab'),
      }),
      401,
    ],
    [
      'read with a suffix range',
      () => ({
        method: 'GET',
        path: `/storage/v1/immutable/${si}/0`,
        headers: { ...auth, range: 'bytes=-5' },
      }),
      416,
    ],
    [
      'read with an open range',
      () => ({
        method: 'GET',
        path: `/storage/v1/immutable/${si}/0`,
        headers: { ...auth, range: 'bytes=5-' },
      }),
      416,
    ],
    [
      'read with two ranges',
      () => ({
        method: 'GET',
        path: `/storage/v1/immutable/${si}/0`,
        headers: { ...auth, range: 'bytes=0-1,3-4' },
      }),
      416,
    ],
    [
      'read with another unit',
      () => ({
        method: 'GET',
        path: `/storage/v1/immutable/${si}/0`,
        headers: { ...auth, range: 'items=0-1' },
      }),
      416,
    ],
    [
      'read of an upload in progress',
      () => ({ method: 'GET', path: `/storage/v1/immutable/${si}/1`, headers: auth }),
      404,
    ],
    [
      'read of an immutable share as mutable',
      () => ({ method: 'GET', path: `/storage/v1/mutable/${si}/0`, headers: auth }),
      404,
    ],
    [
      'corruption report with an empty reason',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}/0/corrupt`,
        headers: auth,
        body: encodeCbor({ reason: '' }),
      }),
      400,
    ],
    [
      'corruption report with a byte-string reason',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}/0/corrupt`,
        headers: auth,
        body: encodeCbor({ reason: Buffer.from('x') }),
      }),
      400,
    ],
    [
      'read-test-write that is not a map',
      () => ({
        method: 'POST',
        path: `/storage/v1/mutable/${si}/read-test-write`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), `write-enabler ${b64(randomBytes(32))}`] },
        body: encodeCbor([1, 2]),
      }),
      400,
    ],
    [
      'read-test-write with text share keys',
      () => ({
        method: 'POST',
        path: `/storage/v1/mutable/${si}/read-test-write`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), `write-enabler ${b64(randomBytes(32))}`] },
        body: encodeCbor({
          'test-write-vectors': { '0': { test: [], write: [], 'new-length': null } },
          'read-vector': [],
        }),
      }),
      400,
    ],
    [
      'read-test-write with 31 read vectors',
      () => ({
        method: 'POST',
        path: `/storage/v1/mutable/${si}/read-test-write`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), `write-enabler ${b64(randomBytes(32))}`] },
        body: encodeCbor({
          'test-write-vectors': new Map(),
          'read-vector': Array.from({ length: 31 }, () => ({ offset: 0, size: 1 })),
        }),
      }),
      400,
    ],
    [
      'read-test-write without new-length',
      () => ({
        method: 'POST',
        path: `/storage/v1/mutable/${si}/read-test-write`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), `write-enabler ${b64(randomBytes(32))}`] },
        body: encodeCbor({
          'test-write-vectors': new Map([[0, { test: [], write: [] }]]),
          'read-vector': [],
        }),
      }),
      400,
    ],
    [
      'read-test-write on an immutable storage index',
      () => ({
        method: 'POST',
        path: `/storage/v1/mutable/${si}/read-test-write`,
        headers: { ...auth, 'x-tahoe-authorization': [...lease(), `write-enabler ${b64(randomBytes(32))}`] },
        body: encodeCbor({ 'test-write-vectors': new Map(), 'read-vector': [] }),
      }),
      409,
    ],
    [
      'deeply nested CBOR',
      () => ({
        method: 'POST',
        path: `/storage/v1/immutable/${si}/0/corrupt`,
        headers: auth,
        body: Buffer.alloc(20_000, 0x81),
      }),
      400,
    ],
  ]
  test.each(cases)('%s → %i', async (_name, make, status) => {
    const res = await send(make())
    expect(res.status).toBe(status)
  })

  test('a request that is not HTTP at all is 400', async () => {
    const { connect } = await import('node:tls')
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () => {
        socket.write('\x00\x01garbage\r\n\r\n')
      })
      let text = ''
      socket.on('data', (d) => {
        text += d.toString()
      })
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
    })
    expect(answer).toMatch(/^HTTP\/1\.1 400/)
  })

  test('the server still answers afterwards', async () => {
    const res = await send({
      method: 'GET',
      path: `/storage/v1/immutable/${si}/0`,
      headers: { ...auth, range: 'bytes=2-4' },
    })
    expect(res.status).toBe(206)
    expect(res.headers['content-range']).toBe('bytes 2-4/*')
    expect(res.body.toString()).toBe('234')
  })
})

describe('reads and negotiation', () => {
  test('a read without Range is the whole share (200); an empty range is 204', async () => {
    const whole = await send({ method: 'GET', path: `/storage/v1/immutable/${si}/0`, headers: auth })
    expect(whole.status).toBe(200)
    expect(whole.headers['content-type']).toBe('application/octet-stream')
    expect(whole.body.toString()).toBe('0123456789')
    const empty = await send({
      method: 'GET',
      path: `/storage/v1/immutable/${si}/0`,
      headers: { ...auth, range: 'bytes=10-20' },
    })
    expect(empty.status).toBe(204)
    expect(empty.body.length).toBe(0)
  })

  test('JSON is spoken on request (bytes as base64, sets as arrays)', async () => {
    const res = await send({
      method: 'GET',
      path: `/storage/v1/immutable/${si}/shares`,
      headers: { ...auth, accept: 'application/json' },
    })
    expect(res.headers['content-type']).toBe('application/json')
    expect(JSON.parse(res.body.toString())).toEqual([0])
    const version = await send({
      method: 'GET',
      path: '/storage/v1/version',
      headers: { ...auth, accept: 'application/json' },
    })
    const v = JSON.parse(version.body.toString())
    expect(Buffer.from(v['application-version'], 'base64').toString()).toMatch(/^cloudy\//)
    expect(v['http://allmydata.org/tahoe/protocols/storage/v1']['maximum-mutable-share-size']).toBe(
      69105000000000000,
    )
    const rtw = await send({
      method: 'POST',
      path: `/storage/v1/mutable/${storageIndexToBase32(randomBytes(16))}/read-test-write`,
      headers: {
        ...auth,
        'content-type': 'application/json',
        accept: 'application/json',
        'x-tahoe-authorization': [...lease(), `write-enabler ${b64(randomBytes(32))}`],
      },
      body: Buffer.from(
        JSON.stringify({
          'test-write-vectors': {
            '3': { test: [], write: [{ offset: 0, data: b64(Buffer.from('hi')) }], 'new-length': null },
          },
          'read-vector': [],
        }),
      ),
    })
    expect(rtw.status).toBe(200)
    expect(JSON.parse(rtw.body.toString())).toEqual({ success: true, data: {} })
  })

  test('Accept with wildcards and q-values picks CBOR', async () => {
    const res = await send({
      method: 'GET',
      path: '/storage/v1/version',
      headers: { ...auth, accept: 'application/json;q=0.5, */*;q=0.9' },
    })
    expect(res.headers['content-type']).toBe('application/cbor')
    expect(decodeCbor(res.body)).toBeInstanceOf(Map)
  })
})
