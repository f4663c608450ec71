import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { parseChkCap } from '../../../../src/storage/caps/chk-cap.ts'
import { parseChkVerifyCap } from '../../../../src/storage/caps/chk-verify-cap.ts'
import { decodeChkToBytes } from '../../../../src/storage/immutable/chk-decoder.ts'
import { encodeChk } from '../../../../src/storage/immutable/chk-encoder.ts'
import { verifyChkShare } from '../../../../src/storage/immutable/chk-share-verifier.ts'
import {
  bytesPlaintextSource,
  MemoryShareSink,
  memoryShareSource,
} from '../../../../src/storage/immutable/memory-shares.ts'
import { base32Encode } from '../../../../src/storage/util/base32.ts'
import { expectBytes } from './expect-bytes.ts'
import {
  expandSample,
  FIXTURES_DIR,
  fixturePlaintext,
  fixtureShareData,
  loadChkFixtures,
} from './tahoe-data.ts'

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const fixtures = loadChkFixtures()
const secret = new TextEncoder().encode('aaaaaaaaaaaaaaaa')

describe.each(fixtures.map((f) => [f.name, f] as const))('Tahoe-LAFS 1.20 fixture %s', (_name, fixture) => {
  const stored = fixture.shares.filter((s) => s.stored)
  const sources = () => stored.map((s) => memoryShareSource(s.shnum, fixtureShareData(fixture, s), s.file))

  test('decodes from the stored shares to the described plaintext', async () => {
    const plaintext = await decodeChkToBytes(parseChkCap(fixture.cap), sources())
    expect(plaintext).toHaveLength(fixture.plaintext.length)
    expect(sha256(plaintext)).toBe(fixture.plaintext.sha256)
  })

  test('decodes from parity shares only when there are some', async () => {
    const parity = sources().filter((s) => s.shnum >= 3)
    if (parity.length < 3) return
    expect(sha256(await decodeChkToBytes(parseChkCap(fixture.cap), parity.slice(-3)))).toBe(
      fixture.plaintext.sha256,
    )
  })

  test('every stored share passes verification with the verify cap', async () => {
    const verifyCap = parseChkVerifyCap(fixture.verify_cap)
    for (const source of sources()) {
      expect(await verifyChkShare(verifyCap, source)).toEqual({
        shnum: source.shnum,
        name: source.name,
        ok: true,
      })
    }
  })

  test('encodes the plaintext to the same cap and, for all ten shares, the same share data', async () => {
    const sink = new MemoryShareSink()
    const result = await encodeChk(bytesPlaintextSource(fixturePlaintext(fixture)), sink, {
      convergenceSecret: secret,
      needed: fixture.parameters.k,
      happy: fixture.parameters.happy,
      total: fixture.parameters.N,
      maxSegmentSize: fixture.parameters.client_max_segment_size,
    })
    expect(result.capString).toBe(fixture.cap)
    if (result.kind !== 'chk') throw new Error('expected CHK')
    expect(result.verifyCapString).toBe(fixture.verify_cap)
    expect(base32Encode(result.storageIndex)).toBe(fixture.storage_index_base32)
    expect(sink.shares.size).toBe(10)
    for (const share of fixture.shares) {
      const ours = sink.shares.get(share.shnum)!
      expect(ours.length, `share ${share.shnum} length`).toBe(share.share_data_length)
      expect(sha256(ours), `share ${share.shnum} sha256`).toBe(share.share_data_sha256)
      if (share.stored) expectBytes(ours, fixtureShareData(fixture, share))
    }
  })
})

describe('Tahoe-LAFS 1.20 HTTP transcript of a CHK upload', () => {
  const dir = `${FIXTURES_DIR}http-transcripts/`
  const transcript = JSON.parse(readFileSync(`${dir}fixture.json`, 'utf8')).chk as {
    cap: string
    storage_index_base32: string
    plaintext: { seed_b64: string; length: number; sha256: string }
    upload: Record<
      string,
      {
        method: string
        path: string
        request_headers: [string, string[]][]
        request_body?: { file: string; json_rendering?: Record<string, unknown> }
      }[]
    >
  }
  const plaintext = expandSample(
    Buffer.from(transcript.plaintext.seed_b64, 'base64'),
    transcript.plaintext.length,
  )

  test('our share data equals every PATCH body the Tahoe client sent, and the allocation matches', async () => {
    const sink = new MemoryShareSink()
    const result = await encodeChk(bytesPlaintextSource(plaintext), sink, {
      convergenceSecret: secret,
      maxSegmentSize: 131072,
    })
    expect(result.capString).toBe(transcript.cap)
    expect(sink.allocation?.shareSize).toBe(956)
    let patches = 0
    for (const [server, exchanges] of Object.entries(transcript.upload)) {
      for (const exchange of exchanges) {
        if (exchange.method === 'POST') {
          expect(exchange.request_body?.json_rendering?.['allocated-size']).toBe(sink.allocation?.shareSize)
        }
        if (exchange.method !== 'PATCH') continue
        const [, , , , si, shnum] = exchange.path.split('/')
        expect(si).toBe(base32Encode(result.kind === 'chk' ? result.storageIndex : new Uint8Array()))
        const body = new Uint8Array(readFileSync(`${dir}chk-upload/${server}/${exchange.request_body!.file}`))
        const range = exchange.request_headers.find(
          ([name]) => name.toLowerCase() === 'content-range',
        )?.[1][0]
        expect(range).toBe(`bytes 0-${body.length - 1}/*`)
        expectBytes(sink.shares.get(Number(shnum))!, body)
        patches++
      }
    }
    expect(patches).toBe(10)
  })

  test("the shares on the servers' disks (share data at offset 12) decode to the plaintext", async () => {
    const sources = ['sh0.storage7', 'sh5.storage3', 'sh9.storage4'].map((file) => {
      const container = new Uint8Array(readFileSync(`${dir}chk-disk-shares/${file}`))
      const length = new DataView(container.buffer).getUint32(4)
      return memoryShareSource(
        Number(file.slice(2, file.indexOf('.'))),
        container.subarray(12, 12 + length),
        file,
      )
    })
    const decoded = await decodeChkToBytes(parseChkCap(transcript.cap), sources)
    expect(sha256(decoded)).toBe(transcript.plaintext.sha256)
  })
})
