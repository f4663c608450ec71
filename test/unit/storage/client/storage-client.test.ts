import { randomBytes } from 'node:crypto'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { StorageClient } from '../../../../src/storage/client/storage-client.ts'
import { ImmutableShareFile } from '../../../../src/storage/server/immutable-container.ts'
import { formatNurl, parseNurl } from '../../../../src/storage/server/nurl.ts'
import { storageIndexToBase32 } from '../../../../src/storage/server/storage-index.ts'
import { createTlsIdentity } from '../../../../src/storage/server/tls-identity.ts'
import { CloudyError } from '../../../../src/util/errors.ts'
import { secret32, startTestServer, storageIndex, type TestServer } from '../server/test-server.ts'

let server: TestServer
let client: StorageClient

beforeAll(async () => {
  server = await startTestServer()
  client = new StorageClient({ nurl: server.nurl })
})

afterAll(async () => {
  await client.close()
  await server.destroy()
})

async function rejection(p: Promise<unknown>): Promise<CloudyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(CloudyError)
  return err as CloudyError
}

function upload() {
  return { uploadSecret: randomBytes(20), renewSecret: secret32(), cancelSecret: secret32() }
}

describe('a Cloudy client against a Cloudy server', () => {
  test('version reports the space and Tahoe’s mutable share limit', async () => {
    const v = await client.version()
    expect(v.availableSpace).toBeGreaterThan(0)
    expect(v.maximumImmutableShareSize).toBe(v.availableSpace)
    expect(v.maximumMutableShareSize).toBe(69105000000000000n)
    expect(v.applicationVersion).toMatch(/^cloudy\//)
  })

  test('allocate, write in chunks, list and read an immutable share', async () => {
    const si = storageIndex()
    const secrets = upload()
    const data = randomBytes(100_000)
    expect(await client.listImmutableShares(si)).toEqual([])
    const r = await client.allocateBuckets(si, {
      ...secrets,
      shareNumbers: [3, 1],
      allocatedSize: data.length,
    })
    expect(r).toEqual({ alreadyHave: [], allocated: [1, 3] })
    const first = await client.writeShareChunk(si, 1, secrets.uploadSecret, 0, data.subarray(0, 40_000))
    expect(first).toEqual({ finished: false, required: [{ begin: 40_000, end: 100_000 }] })
    // out of order, and an overlap that repeats the same bytes
    const second = await client.writeShareChunk(si, 1, secrets.uploadSecret, 70_000, data.subarray(70_000))
    expect(second.required).toEqual([{ begin: 40_000, end: 70_000 }])
    expect(await client.listImmutableShares(si)).toEqual([]) // not complete yet
    const last = await client.writeShareChunk(
      si,
      1,
      secrets.uploadSecret,
      30_000,
      data.subarray(30_000, 80_000),
    )
    expect(last).toEqual({ finished: true, required: [] })
    expect(await client.listImmutableShares(si)).toEqual([1])

    expect(Buffer.from(await client.readImmutableShare(si, 1, 0, data.length))).toEqual(data)
    expect(Buffer.from(await client.readImmutableShare(si, 1, 99_000, 5_000))).toEqual(data.subarray(99_000))
    expect((await client.readImmutableShare(si, 1, 100_000, 10)).length).toBe(0)
    const again = await client.allocateBuckets(si, {
      ...secrets,
      shareNumbers: [1, 3],
      allocatedSize: data.length,
    })
    expect(again).toEqual({ alreadyHave: [1], allocated: [3] }) // same secret: the upload in progress again
  })

  test('a write that differs from what was written is a conflict; abort and its 405', async () => {
    const si = storageIndex()
    const secrets = upload()
    await client.allocateBuckets(si, { ...secrets, shareNumbers: [0], allocatedSize: 10 })
    await client.writeShareChunk(si, 0, secrets.uploadSecret, 0, Buffer.from('hello'))
    const conflict = await rejection(
      client.writeShareChunk(si, 0, secrets.uploadSecret, 2, Buffer.from('LLo wor')),
    )
    expect(conflict.code).toBe('CONFLICT')
    expect(conflict.details?.status).toBe(409)
    const wrongSecret = await rejection(client.abortUpload(si, 0, randomBytes(20)))
    expect(wrongSecret.details?.status).toBe(401)
    await client.abortUpload(si, 0, secrets.uploadSecret)
    expect((await rejection(client.abortUpload(si, 0, secrets.uploadSecret))).details?.status).toBe(404)
    expect(await client.listImmutableShares(si)).toEqual([])
    const full = await client.allocateBuckets(si, { ...secrets, shareNumbers: [0], allocatedSize: 3 })
    expect(full.allocated).toEqual([0])
    await client.writeShareChunk(si, 0, secrets.uploadSecret, 0, Buffer.from('abc'))
    const complete = await rejection(client.abortUpload(si, 0, secrets.uploadSecret))
    expect(complete.details?.status).toBe(405)
  })

  test('leases: a known renew secret renews, a new one adds a lease; none for an unknown index', async () => {
    const si = storageIndex()
    const secrets = upload()
    await client.allocateBuckets(si, { ...secrets, shareNumbers: [0], allocatedSize: 4 })
    await client.writeShareChunk(si, 0, secrets.uploadSecret, 0, Buffer.from('data'))
    const leases = async () => {
      const text = storageIndexToBase32(si)
      const file = await ImmutableShareFile.open(`${server.dir}/shares/${text.slice(0, 2)}/${text}/0`)
      try {
        return (await file.leases()).length
      } finally {
        await file.close()
      }
    }
    await client.addOrRenewLease(si, secrets)
    expect(await leases()).toBe(1)
    await client.addOrRenewLease(si, { renewSecret: secret32(), cancelSecret: secret32() })
    expect(await leases()).toBe(2)
    expect(Buffer.from(await client.readImmutableShare(si, 0, 0, 10)).toString()).toBe('data')
    const missing = await rejection(client.addOrRenewLease(storageIndex(), secrets))
    expect(missing.code).toBe('NOT_FOUND')
  })

  test('mutable read-test-write: create, read, test-and-set, failed test, wrong write enabler, delete', async () => {
    const si = storageIndex()
    const secrets = { writeEnabler: secret32(), renewSecret: secret32(), cancelSecret: secret32() }
    const v1 = Buffer.from('version one of the share')
    const created = await client.readTestWrite(
      si,
      secrets,
      new Map([
        [
          2,
          {
            test: [{ offset: 0, size: 1, specimen: new Uint8Array(0) }],
            write: [{ offset: 0, data: v1 }],
            newLength: null,
          },
        ],
      ]),
      [{ offset: 0, size: 7 }],
    )
    expect(created).toEqual({ success: true, data: new Map() })
    expect(await client.listMutableShares(si)).toEqual([2])
    expect(Buffer.from(await client.readMutableShare(si, 2, 0, 1000)).toString()).toBe(v1.toString())

    const v2 = Buffer.from('v2')
    const cas = await client.readTestWrite(
      si,
      secrets,
      new Map([
        [
          2,
          {
            test: [{ offset: 0, size: 7, specimen: v1.subarray(0, 7) }],
            write: [{ offset: 0, data: v2 }],
            newLength: 2,
          },
        ],
      ]),
      [{ offset: 0, size: 7 }],
    )
    expect(cas.success).toBe(true)
    expect(Buffer.from(cas.data.get(2)?.[0] ?? [])).toEqual(v1.subarray(0, 7))
    expect(Buffer.from(await client.readMutableShare(si, 2, 0, 1000)).toString()).toBe('v2')

    const stale = await client.readTestWrite(
      si,
      secrets,
      new Map([
        [
          2,
          {
            test: [{ offset: 0, size: 7, specimen: v1.subarray(0, 7) }],
            write: [{ offset: 0, data: v1 }],
            newLength: null,
          },
        ],
      ]),
      [],
    )
    expect(stale.success).toBe(false)
    expect(Buffer.from(await client.readMutableShare(si, 2, 0, 1000)).toString()).toBe('v2')

    const wrong = await rejection(
      client.readTestWrite(si, { ...secrets, writeEnabler: secret32() }, new Map(), [{ offset: 0, size: 1 }]),
    )
    expect(wrong.code).toBe('UNAUTHORIZED')

    await client.addOrRenewLease(si, { renewSecret: secret32(), cancelSecret: secret32() })
    const deleted = await client.readTestWrite(
      si,
      secrets,
      new Map([[2, { test: [], write: [], newLength: 0 }]]),
      [],
    )
    expect(deleted.success).toBe(true)
    expect(await client.listMutableShares(si)).toEqual([])
    expect((await rejection(client.readMutableShare(si, 2, 0, 10))).code).toBe('NOT_FOUND')
  })

  test('corruption advisories are accepted for held shares, 404 for others', async () => {
    const si = storageIndex()
    const secrets = upload()
    await client.allocateBuckets(si, { ...secrets, shareNumbers: [0], allocatedSize: 2 })
    await client.writeShareChunk(si, 0, secrets.uploadSecret, 0, Buffer.from('ok'))
    const reported = new Promise((resolve) => server.core.events.once('corruption:reported', resolve))
    await client.adviseCorruptImmutableShare(si, 0, 'block hash mismatch in segment 3')
    expect(await reported).toMatchObject({
      kind: 'immutable',
      shareNumber: 0,
      reason: 'block hash mismatch in segment 3',
    })
    expect((await rejection(client.adviseCorruptImmutableShare(si, 1, 'x'))).code).toBe('NOT_FOUND')
    expect((await rejection(client.adviseCorruptMutableShare(si, 0, 'x'))).code).toBe('NOT_FOUND')
  })

  test('a wrong swissnum is 401', async () => {
    const n = parseNurl(server.nurl)
    const other = new StorageClient({
      nurl: formatNurl({ ...n, swissnum: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }),
    })
    try {
      const err = await rejection(other.version())
      expect(err.code).toBe('UNAUTHORIZED')
      expect(err.details?.status).toBe(401)
    } finally {
      await other.close()
    }
  })

  test('a certificate other than the pinned one is refused before any request', async () => {
    const n = parseNurl(server.nurl)
    const impostor = await createTlsIdentity()
    const before = server.http.stats().requests
    const other = new StorageClient({ nurl: formatNurl({ ...n, spkiHash: impostor.spkiHash }) })
    try {
      const err = await rejection(other.version())
      expect(err.code).toBe('UNAVAILABLE')
      expect(err.details?.reason).toBe('certificate-mismatch')
      expect(server.http.stats().requests).toBe(before)
    } finally {
      await other.close()
    }
  })

  test('an aborted call rejects with the signal’s reason', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    await expect(client.version({ signal: controller.signal })).rejects.toThrow('stop')
  })

  test('a server that does not answer in time is UNAVAILABLE with reason timeout', async () => {
    const identity = await createTlsIdentity()
    const silent = createServer({ key: identity.privateKeyPem, cert: identity.certificatePem }, () => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as AddressInfo).port
    const slow = new StorageClient({
      nurl: formatNurl({ spkiHash: identity.spkiHash, host: '127.0.0.1', port, swissnum: 'abc' }),
      timeoutMs: 300,
    })
    try {
      const err = await rejection(slow.version())
      expect(err.details?.reason).toBe('timeout')
    } finally {
      await slow.close()
      silent.closeAllConnections()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  test('nothing listens: UNAVAILABLE with reason connection', async () => {
    const n = parseNurl(server.nurl)
    const gone = new StorageClient({ nurl: formatNurl({ ...n, port: 1 }) })
    try {
      expect((await rejection(gone.version())).details?.reason).toBe('connection')
    } finally {
      await gone.close()
    }
  })

  test('a full server allocates nothing and refuses mutable growth with 507', async () => {
    const small = await startTestServer({ capacity: 1000 })
    const c = new StorageClient({ nurl: small.nurl })
    try {
      expect((await c.version()).availableSpace).toBe(1000)
      const r = await c.allocateBuckets(storageIndex(), {
        ...upload(),
        shareNumbers: [0, 1],
        allocatedSize: 500,
      })
      expect(r).toEqual({ alreadyHave: [], allocated: [0] })
      const slot = { writeEnabler: secret32(), renewSecret: secret32(), cancelSecret: secret32() }
      const err = await rejection(
        c.readTestWrite(
          storageIndex(),
          slot,
          new Map([[0, { test: [], write: [{ offset: 0, data: randomBytes(2000) }], newLength: null }]]),
          [],
        ),
      )
      expect(err.details?.status).toBe(507)
    } finally {
      await c.close()
      await small.destroy()
    }
  })
})
