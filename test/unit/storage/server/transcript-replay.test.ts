import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { decodeCbor } from '../../../../src/storage/server/storage-cbor.ts'
import { type StorageServer, startStorageServer } from '../../../../src/storage/server/storage-server.ts'
import { base32Decode } from '../../../../src/storage/util/base32.ts'
import { silentLogger } from '../../../../src/util/logger.ts'
import { type RawResponse, rawClient } from './raw-https.ts'
import {
  bodyFile,
  type Exchange,
  fixture,
  header,
  OPERATIONS,
  replayHeaders,
  swissnumOf,
  TRANSCRIPTS_DIR,
} from './transcripts.ts'

/**
 * Every request a real Tahoe-LAFS 1.20 client sent to each of 10 storage servers (CHK upload and
 * download, SDMF create/read/modify/read) is replayed against 10 Cloudy servers with the same
 * swissnums and node ids; the answers must be Tahoe's, byte for byte, and so must the share files.
 */
const servers = new Map<
  string,
  { server: StorageServer; client: ReturnType<typeof rawClient>; dir: string }
>()

beforeAll(async () => {
  for (const s of fixture.grid_servers) {
    const exchanges = fixture.chk.upload[s.nickname] as Exchange[]
    const dir = await mkdtemp(join(tmpdir(), `cloudy-replay-${s.nickname}-`))
    const server = await startStorageServer(
      {
        directory: dir,
        host: '127.0.0.1',
        port: 0,
        swissnum: swissnumOf(exchanges),
        nodeId: base32Decode(s.tub_id, 20),
      },
      { logger: silentLogger() },
    )
    servers.set(s.nickname, { server, client: rawClient(server.port), dir })
  }
})

afterAll(async () => {
  for (const { server, client, dir } of servers.values()) {
    client.close()
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
})

async function replay(
  folder: string,
  nickname: string | undefined,
  server: string,
  e: Exchange,
): Promise<RawResponse> {
  const body = e.request_body === null ? undefined : bodyFile(folder, nickname, e.request_body.file)
  const { client } = servers.get(server) as { client: ReturnType<typeof rawClient> }
  const res = await client.send({
    method: e.method,
    path: e.path,
    headers: replayHeaders(e),
    ...(body !== undefined && { body }),
  })
  return res
}

function expectSameAnswer(res: RawResponse, e: Exchange, expectedBody: Buffer | undefined): void {
  expect(res.status, `${e.method} ${e.path}`).toBe(e.status)
  for (const name of ['Content-Type', 'Content-Range']) {
    expect(res.headers[name.toLowerCase()], name).toBe(header(e.response_headers, name)?.[0])
  }
  if (expectedBody === undefined) expect(res.body.length).toBe(0)
  else expect(Buffer.compare(res.body, expectedBody), `${e.method} ${e.path} body`).toBe(0)
}

describe('replaying Tahoe-LAFS 1.20 storage-protocol transcripts', () => {
  for (const op of OPERATIONS) {
    test(`${op.folder}: same status codes, headers and bodies`, async () => {
      let replayed = 0
      for (const [nickname, exchanges] of Object.entries(op.servers)) {
        for (const e of exchanges) {
          replayed++
          const res = await replay(op.folder, nickname, nickname, e)
          const expected =
            e.response_body === null ? undefined : bodyFile(op.folder, nickname, e.response_body.file)
          expectSameAnswer(res, e, expected)
        }
      }
      expect(replayed).toBeGreaterThanOrEqual(Object.keys(op.servers).length)
    })
  }

  test('immutable share files equal chk-disk-shares/ except the lease expiry', async () => {
    const si = fixture.chk.storage_index_base32
    for (const share of fixture.chk.disk_shares_after_upload) {
      const expected = await readFile(`${TRANSCRIPTS_DIR}${share.file}`)
      const dir = servers.get(share.server_nickname)?.dir as string
      const actual = await readFile(join(dir, 'shares', si.slice(0, 2), si, String(share.shnum)))
      expect(actual.length).toBe(expected.length)
      // the one lease's expiry is its last 4 bytes
      expect(Buffer.compare(actual.subarray(0, -4), expected.subarray(0, -4)), share.file).toBe(0)
    }
  })

  test('mutable share files equal mutable-disk-shares/ except the lease expiry', async () => {
    const si = fixture.mutable_sdmf.storage_index_base32
    for (const share of fixture.mutable_sdmf.disk_shares_after_modify) {
      const expected = await readFile(`${TRANSCRIPTS_DIR}${share.file}`)
      const dir = servers.get(share.server_nickname)?.dir as string
      const actual = await readFile(join(dir, 'shares', si.slice(0, 2), si, String(share.shnum)))
      expect(actual.length).toBe(expected.length)
      // lease slot 0 is at 100; its expiry at 104..108
      const masked = (b: Buffer) => Buffer.concat([b.subarray(0, 104), b.subarray(108)])
      expect(Buffer.compare(masked(actual), masked(expected)), share.file).toBe(0)
    }
  })

  test('version: the same message shape, Tahoe’s mutable limit, and equal space fields', async () => {
    const e = fixture.version_example.exchange[0] as Exchange
    const res = await replay('version-example', undefined, fixture.version_example.server, e)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/cbor')
    const shape = (value: unknown): unknown =>
      value instanceof Map
        ? [...value].map(([k, v]) => [Buffer.from(k).toString(), shape(v)])
        : value instanceof Uint8Array
          ? 'bytes'
          : typeof value
    const ours = decodeCbor(res.body) as Map<Uint8Array, unknown>
    const tahoes = decodeCbor(bodyFile('version-example', undefined, '00-response.cbor'))
    expect(shape(ours)).toEqual(shape(tahoes))
    const v1 = [...ours.values()][0] as Map<Uint8Array, bigint | number>
    const [maxImmutable, maxMutable, available] = [...v1.values()]
    const tahoeV1 = [...(tahoes as Map<Uint8Array, unknown>).values()][0] as Map<Uint8Array, bigint | number>
    expect(maxMutable).toEqual([...tahoeV1.values()][1])
    expect(maxImmutable).toEqual(available)
  })
})
