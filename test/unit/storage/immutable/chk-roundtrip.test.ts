import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { createChkCap, formatChkCap } from '../../../../src/storage/caps/chk-cap.ts'
import { parseCap } from '../../../../src/storage/caps/parse-cap.ts'
import { uriExtensionHash } from '../../../../src/storage/crypto/hashes.ts'
import {
  type ChkDecodeProgress,
  decodeChk,
  decodeChkToBytes,
} from '../../../../src/storage/immutable/chk-decoder.ts'
import {
  type ChkEncodeInit,
  type ChkEncodeProgress,
  type ChkEncodeResult,
  encodeChk,
} from '../../../../src/storage/immutable/chk-encoder.ts'
import { verifyChkShare } from '../../../../src/storage/immutable/chk-share-verifier.ts'
import {
  bytesPlaintextSource,
  MemoryShareSink,
  memoryShareSource,
} from '../../../../src/storage/immutable/memory-shares.ts'
import type { ShareSource } from '../../../../src/storage/immutable/share-io.ts'
import { encodeUebRegion, parseShareHeader } from '../../../../src/storage/immutable/share-layout.ts'
import { encodeUriExtension } from '../../../../src/storage/immutable/uri-extension.ts'
import { storageErrorKind } from '../../../../src/storage/util/storage-error.ts'
import { expectBytes } from './expect-bytes.ts'

const secret = new Uint8Array(16).fill(0x42)

async function encode(plaintext: Uint8Array, init: Partial<ChkEncodeInit> = {}) {
  const sink = new MemoryShareSink()
  const result = await encodeChk(bytesPlaintextSource(plaintext, 1000), sink, {
    convergenceSecret: secret,
    maxSegmentSize: 4096,
    ...init,
  })
  return { result, sink }
}

async function encodeCHK(plaintext: Uint8Array, init: Partial<ChkEncodeInit> = {}) {
  const { result, sink } = await encode(plaintext, init)
  if (result.kind !== 'chk') throw new Error('expected a CHK result')
  return { result, sink }
}

/** Sources over copies of the shares, so a test can damage one without touching the others. */
function sourcesOf(sink: MemoryShareSink, shnums?: number[]): ShareSource[] {
  return (shnums ?? [...sink.shares.keys()]).map((n) =>
    memoryShareSource(n, sink.shares.get(n)!.slice(), `share-${n}`),
  )
}

function corrupt(sink: MemoryShareSink, shnum: number, offset: number): ShareSource {
  const bytes = sink.shares.get(shnum)!.slice()
  bytes[offset]! ^= 0x01
  return memoryShareSource(shnum, bytes, `corrupt-${shnum}`)
}

async function caught(promise: Promise<unknown>): Promise<Error & { details?: Record<string, unknown> }> {
  try {
    await promise
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

describe('CHK round trips', () => {
  test.each([0, 1, 55])('%i bytes become a LIT cap and write nothing', async (size) => {
    const plaintext = new Uint8Array(randomBytes(size))
    const { result, sink } = await encode(plaintext)
    expect(result.kind).toBe('lit')
    expect(sink.writes).toBe(0)
    const cap = parseCap(result.capString)
    expect(cap.kind === 'lit' && cap.data).toEqual(plaintext)
  })

  // max segment 4096 with k=3 gives a real segment size of 4098
  test.each([
    [56, 3, 10],
    [4097, 3, 10],
    [4098, 3, 10],
    [4099, 3, 10],
    [5 * 4098 + 17, 3, 10],
    [3000, 1, 1],
    [3000, 1, 2],
    [9000, 2, 3],
    [9000, 5, 8],
    [9000, 16, 16],
    [20000, 7, 20],
    [20000, 30, 100],
  ])('%i bytes, %i-of-%i: decode from any k shares gives the plaintext back', async (size, needed, total) => {
    const plaintext = new Uint8Array(randomBytes(size))
    const { result, sink } = await encodeCHK(plaintext, { needed, total, happy: total })
    expect(result.cap).toMatchObject({ needed, total, size })
    expect(sink.shares.size).toBe(total)
    const all = [...sink.shares.keys()]
    for (const subset of [
      all.slice(0, needed),
      all.slice(-needed),
      all.filter((_, i) => i % 2 === 1).slice(0, needed),
    ]) {
      if (subset.length < needed) continue
      expectBytes(await decodeChkToBytes(result.cap, sourcesOf(sink, subset)), plaintext)
    }
    for (const source of sourcesOf(sink))
      expect((await verifyChkShare(result.verifyCap, source)).ok).toBe(true)
  })

  test('the same plaintext, secret and parameters always give the same cap (convergence)', async () => {
    const plaintext = new Uint8Array(randomBytes(10000))
    const a = await encodeCHK(plaintext)
    const b = await encodeCHK(plaintext)
    expect(a.result.capString).toBe(b.result.capString)
    expect((await encodeCHK(plaintext, { convergenceSecret: new Uint8Array(16) })).result.capString).not.toBe(
      a.result.capString,
    )
  })

  test('share data v2 (64-bit offsets) decodes and verifies like v1', async () => {
    const plaintext = new Uint8Array(randomBytes(12345))
    const { result, sink } = await encodeCHK(plaintext, { shareDataVersion: 2 })
    expect(result.layout.version).toBe(2)
    expect(parseShareHeader(sink.shares.get(0)!).version).toBe(2)
    expectBytes(await decodeChkToBytes(result.cap, sourcesOf(sink, [9, 4, 7])), plaintext)
    expect((await verifyChkShare(result.cap, sourcesOf(sink, [3])[0]!)).ok).toBe(true)
  })
})

describe('CHK byte ranges', () => {
  const plaintext = new Uint8Array(randomBytes(6 * 4098 + 100))
  const encoded = encodeCHK(plaintext)

  test.each([
    [0, 1],
    [4097, 2],
    [4098, 4098],
    [5000, 12000],
    [6 * 4098, 100],
    [6 * 4098 + 99, 1],
    [0, 6 * 4098 + 100],
    [100, 0],
  ])('offset %i, length %i: only the segments touched are fetched', async (offset, length) => {
    const { result, sink } = await encoded
    const segments: number[] = []
    const out = await decodeChkToBytes(result.cap, sourcesOf(sink), {
      range: { offset, length },
      onProgress: (e) => {
        if (e.type === 'segment:decoded') segments.push(e.segment)
      },
    })
    expectBytes(out, plaintext.subarray(offset, offset + length))
    const first = Math.floor(offset / 4098)
    const last = Math.floor((offset + length - 1) / 4098)
    expect(segments).toEqual(
      length === 0 ? [] : Array.from({ length: last - first + 1 }, (_, i) => first + i),
    )
  })

  test('a range outside the file is refused', async () => {
    const { result, sink } = await encoded
    const error = await caught(
      decodeChkToBytes(result.cap, sourcesOf(sink), { range: { offset: 10, length: plaintext.length } }),
    )
    expect(error.message).toMatch(/outside the file/)
  })
})

describe('damaged shares', () => {
  const plaintext = new Uint8Array(randomBytes(4 * 4098 + 5))
  const encoded = encodeCHK(plaintext)

  async function regions() {
    const { result, sink } = await encoded
    const { offsets } = parseShareHeader(sink.shares.get(0)!)
    const blockSize = result.geometry.blockSize
    return {
      result,
      sink,
      places: [
        ['header version', 0, 'header'],
        ['header offsets', 0x20, 'header'],
        ['first block', offsets.data + 5, 'block'],
        ['third block', offsets.data + 2 * blockSize + 1, 'block'],
        ['last block', offsets.plaintextHashTree - 1, 'block'],
        ['crypttext hash tree', offsets.crypttextHashTree + 32 * 7 + 3, 'crypttext-hashes'],
        ['block hash tree', offsets.blockHashes + 32 * 8, 'block-hashes'],
        ['share hash chain', offsets.shareHashes + 40, 'share-hashes'],
        ['share hash chain index', offsets.shareHashes + 1, 'share-hashes'],
        ['URI extension block', offsets.uriExtension + 20, 'uri-extension'],
      ] as const,
    }
  }

  test('a flipped byte anywhere that matters gets the share rejected; the download succeeds from the others', async () => {
    const { result, sink, places } = await regions()
    for (const [where, offset, stage] of places) {
      const rejected: ChkDecodeProgress[] = []
      const sources = [corrupt(sink, 0, offset), ...sourcesOf(sink, [1, 2, 3])]
      const out = await decodeChkToBytes(result.cap, sources, {
        onProgress: (e) => {
          if (e.type === 'share:rejected') rejected.push(e)
        },
      })
      expectBytes(out, plaintext)
      expect(rejected, where).toMatchObject([{ shnum: 0, name: 'corrupt-0', stage }])
    }
  })

  test('verify finds the same damage in one share without decoding', async () => {
    const { result, sink, places } = await regions()
    for (const [where, offset, stage] of places) {
      const report = await verifyChkShare(result.verifyCap, corrupt(sink, 0, offset))
      expect(report.ok, where).toBe(false)
      expect(report.problem?.stage, where).toBe(where === 'crypttext hash tree' ? 'crypttext-hashes' : stage)
    }
    // the unused plaintext hash tree region is not checked, as in Tahoe
    const { offsets } = parseShareHeader(sink.shares.get(0)!)
    expect((await verifyChkShare(result.verifyCap, corrupt(sink, 0, offsets.plaintextHashTree))).ok).toBe(
      true,
    )
  })

  test('a share that goes bad in a later segment is replaced mid-download, and no bad byte comes out', async () => {
    const { result, sink } = await encoded
    const { offsets } = parseShareHeader(sink.shares.get(1)!)
    const sources = [
      ...sourcesOf(sink, [0]),
      corrupt(sink, 1, offsets.data + 3 * result.geometry.blockSize),
      ...sourcesOf(sink, [2, 5]),
    ]
    const events: ChkDecodeProgress[] = []
    const out = await decodeChkToBytes(result.cap, sources, { onProgress: (e) => events.push(e) })
    expectBytes(out, plaintext)
    expect(events.filter((e) => e.type === 'share:rejected')).toMatchObject([
      { shnum: 1, stage: 'block', segment: 3 },
    ])
  })

  test('a second copy of the same share replaces a damaged first copy', async () => {
    const { result, sink } = await encoded
    const sources = [corrupt(sink, 0, 100), ...sourcesOf(sink, [1, 2, 0])]
    const out = await decodeChkToBytes(result.cap, sources)
    expectBytes(out, plaintext)
  })

  test('a source whose reads fail is replaced', async () => {
    const { result, sink } = await encoded
    const failing: ShareSource = {
      shnum: 4,
      name: 'offline',
      read: async () => Promise.reject(new Error('connection refused')),
    }
    const events: ChkDecodeProgress[] = []
    const out = await decodeChkToBytes(result.cap, [failing, ...sourcesOf(sink, [5, 6, 7])], {
      onProgress: (e) => events.push(e),
    })
    expectBytes(out, plaintext)
    expect(events.filter((e) => e.type === 'share:rejected')).toMatchObject([
      { shnum: 4, name: 'offline', stage: 'read', message: expect.stringMatching(/connection refused/) },
    ])
  })

  test('fewer than k good shares fail clearly, naming the rejected ones', async () => {
    const { result, sink } = await encoded
    const { offsets } = parseShareHeader(sink.shares.get(0)!)
    const sources = [
      corrupt(sink, 0, offsets.data + 1),
      corrupt(sink, 1, offsets.blockHashes + 32 * 7),
      ...sourcesOf(sink, [2]),
    ]
    const error = await caught(decodeChkToBytes(result.cap, sources))
    expect(storageErrorKind(error)).toBe('NOT_ENOUGH_SHARES')
    expect(error.message).toMatch(/need 3 good shares of 10 for segment 0, have 1/)
    expect(error.message).toMatch(/share 0 \(block: block 0 does not match its hash\)/)
    expect(error.details?.rejected).toMatchObject([
      { shnum: 0, stage: 'block' },
      { shnum: 1, stage: 'block-hashes' },
    ])
  })

  test('too few sources at all fail with NOT_ENOUGH_SHARES before reading blocks', async () => {
    const { result, sink } = await encoded
    const error = await caught(decodeChkToBytes(result.cap, sourcesOf(sink, [3, 4])))
    expect(storageErrorKind(error)).toBe('NOT_ENOUGH_SHARES')
    expect((await caught(decodeChkToBytes(result.cap, []))).message).toMatch(/have 0/)
  })

  test('sources for another file are rejected at the URI extension block', async () => {
    const { result } = await encoded
    const other = await encodeCHK(new Uint8Array(randomBytes(5000)))
    const error = await caught(decodeChkToBytes(result.cap, sourcesOf(other.sink, [0, 1, 2])))
    expect(error.details?.rejected).toMatchObject([
      { stage: 'uri-extension' },
      { stage: 'uri-extension' },
      { stage: 'uri-extension' },
    ])
  })

  test('shares numbered beyond N are refused', async () => {
    const { result, sink } = await encoded
    const stray = memoryShareSource(12, sink.shares.get(0)!, 'stray')
    const error = await caught(decodeChkToBytes(result.cap, [stray, ...sourcesOf(sink, [1, 2])]))
    expect(error.details?.rejected).toMatchObject([
      { shnum: 12, stage: 'header', message: expect.stringMatching(/outside 0..9/) },
    ])
  })

  test('an authentic UEB that contradicts the cap is fatal, not a share problem', async () => {
    const { result, sink } = await encoded
    // a "malicious uploader": rewrite every share's UEB and make a cap for the new UEB hash
    const ueb = encodeUriExtension({
      ...result.uriExtension,
      segmentSize: result.uriExtension.segmentSize + 3,
    })
    const cap = createChkCap({ ...result.cap, uebHash: uriExtensionHash(ueb) })
    const sources = [0, 1, 2].map((n) => {
      const bytes = sink.shares.get(n)!.slice()
      const { offsets, version } = parseShareHeader(bytes)
      const grown = new Uint8Array(offsets.uriExtension + 4 + ueb.length)
      grown.set(bytes.subarray(0, offsets.uriExtension))
      grown.set(encodeUebRegion(version, ueb), offsets.uriExtension)
      return memoryShareSource(n, grown)
    })
    const error = await caught(decodeChkToBytes(cap, sources))
    expect(storageErrorKind(error)).toBe('CORRUPT_SHARE')
    expect(error.message).toMatch(
      /URI extension block is inconsistent: num_segments|URI extension block is inconsistent/,
    )
    expect(formatChkCap(cap)).not.toBe(result.capString)
  })
})

describe('encoder contract', () => {
  test('reports progress, allocates before writing, writes each share sequentially and finishes', async () => {
    const plaintext = new Uint8Array(randomBytes(3 * 4098))
    const events: ChkEncodeProgress[] = []
    const log: string[] = []
    const sink = new MemoryShareSink()
    const spy = {
      start: async (a: Parameters<NonNullable<MemoryShareSink['start']>>[0]) => {
        log.push(`start ${a.shareSize} ${a.shareNumbers.length} happy=${a.happy}`)
        await sink.start(a)
      },
      write: async (shnum: number, offset: number, data: Uint8Array) => {
        if (shnum === 0) log.push(`write ${offset}+${data.length}`)
        await sink.write(shnum, offset, data)
      },
      finish: async () => {
        log.push('finish')
      },
    }
    const result = (await encodeChk(bytesPlaintextSource(plaintext), spy, {
      convergenceSecret: secret,
      maxSegmentSize: 4096,
      onProgress: (e) => events.push(e),
    })) as ChkEncodeResult
    const { layout } = result
    expect(log).toEqual([
      `start ${layout.totalSize} 10 happy=7`,
      `write 0+${36 + 1366}`,
      `write ${36 + 1366}+1366`,
      `write ${36 + 2 * 1366}+1366`,
      `write ${layout.offsets.plaintextHashTree}+${layout.totalSize - layout.offsets.plaintextHashTree}`,
      'finish',
    ])
    expect(
      events.filter((e) => e.type === 'segment:written').map((e) => e.type === 'segment:written' && e.bytes),
    ).toEqual([4098, 8196, 12294])
    expect(events.at(0)).toEqual({ type: 'plaintext:hashed', bytes: 12294, size: 12294 })
    expect(events.at(-1)).toEqual({ type: 'shares:finished', shareSize: layout.totalSize })
  })

  test('an abort stops the upload between segments', async () => {
    const controller = new AbortController()
    const plaintext = new Uint8Array(randomBytes(10 * 4098))
    const error = await caught(
      encodeChk(bytesPlaintextSource(plaintext), new MemoryShareSink(), {
        convergenceSecret: secret,
        maxSegmentSize: 4096,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'segment:written' && e.segment === 2) controller.abort()
        },
      }),
    )
    expect(error.name).toBe('AbortError')
  })

  test('the plaintext source is released when the upload stops early', async () => {
    let released = 0
    const bytes = new Uint8Array(randomBytes(10 * 4098))
    const source = {
      size: bytes.length,
      async *open() {
        try {
          for (let at = 0; at < bytes.length; at += 1000) yield bytes.subarray(at, at + 1000)
        } finally {
          released++
        }
      },
    }
    const failing = { write: async () => Promise.reject(new Error('server went away')) }
    const error = await caught(
      encodeChk(source, failing, { convergenceSecret: secret, maxSegmentSize: 4096 }),
    )
    expect(error.message).toBe('server went away')
    expect(released).toBe(2) // the key pass ran to the end, the encoding pass was stopped
  })

  test('an abort stops a download', async () => {
    const plaintext = new Uint8Array(randomBytes(10 * 4098))
    const { result, sink } = await encodeCHK(plaintext)
    const controller = new AbortController()
    const pieces: Uint8Array[] = []
    const error = await caught(
      (async () => {
        for await (const piece of decodeChk(result.cap, sourcesOf(sink), { signal: controller.signal })) {
          pieces.push(piece)
          if (pieces.length === 2) controller.abort()
        }
      })(),
    )
    expect(error.name).toBe('AbortError')
    expect(pieces).toHaveLength(2)
  })

  test('a source that does not hold the declared size is refused', async () => {
    const bytes = new Uint8Array(randomBytes(1000))
    const short = { size: 1001, open: () => bytesPlaintextSource(bytes).open() }
    expect(
      (await caught(encodeChk(short, new MemoryShareSink(), { convergenceSecret: secret }))).message,
    ).toMatch(/gave 1000 bytes but declared 1001/)
    const long = { size: 999, open: () => bytesPlaintextSource(bytes).open() }
    expect(
      (await caught(encodeChk(long, new MemoryShareSink(), { convergenceSecret: secret }))).message,
    ).toMatch(/gave at least 1000 bytes but declared 999/)
  })

  test.each([
    [{ needed: 0 }, /1 <= k <= N <= 256/],
    [{ needed: 11 }, /1 <= k <= N <= 256/],
    [{ total: 257 }, /1 <= k <= N <= 256/],
    [{ happy: 11 }, /happy must be an integer in 1..N/],
    [{ maxSegmentSize: 0 }, /maxSegmentSize must be a positive integer/],
    [{ convergenceSecret: new Uint8Array(15) }, /convergence secret must be 16 bytes/],
  ])('refuses parameters %j', async (init, message) => {
    const error = await caught(encode(new Uint8Array(100), init))
    expect(error.message).toMatch(message)
  })
})
