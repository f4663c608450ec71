import { describe, expect, test } from 'vitest'
import { chkGeometry } from '../../../../src/storage/immutable/chk-geometry.ts'
import {
  encodeShareHashChain,
  encodeShareHeader,
  encodeUebRegion,
  parseShareHashChain,
  parseShareHeader,
  parseUebLength,
  planShareLayout,
  shareHashChainLength,
} from '../../../../src/storage/immutable/share-layout.ts'
import { storageErrorKind } from '../../../../src/storage/util/storage-error.ts'
import { fixtureShareData, loadChkFixtures } from './tahoe-data.ts'

function errorOf(fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error')
}

const geometryLayout = (
  size: number,
  k: number,
  n: number,
  segmentSize: number,
  uebSize: number,
  version?: 1 | 2,
) => {
  const g = chkGeometry(size, k, n, segmentSize)
  return planShareLayout({
    blockSize: g.blockSize,
    dataSize: g.shareDataSize,
    numSegments: g.numSegments,
    numShareHashes: shareHashChainLength(n),
    uebSize,
    ...(version ? { version } : {}),
  })
}

describe('immutable share data layout', () => {
  test('reproduces the header of the 1000-byte transcript file: 1, 334, 334, 36, 370, 402, 434, 466, 636', () => {
    const layout = geometryLayout(1000, 3, 10, 1002, 316)
    const header = encodeShareHeader(layout)
    const view = new DataView(header.buffer)
    expect(Array.from({ length: 9 }, (_, i) => view.getUint32(4 * i))).toEqual([
      1, 334, 334, 36, 370, 402, 434, 466, 636,
    ])
    expect(layout.totalSize).toBe(956)
  })

  test('every stored Tahoe share has exactly the header we plan for it', () => {
    for (const fixture of loadChkFixtures()) {
      for (const share of fixture.shares.filter((s) => s.stored)) {
        const data = fixtureShareData(fixture, share)
        const header = parseShareHeader(data)
        expect(header.version).toBe(1)
        const uebLength = parseUebLength(1, data.subarray(header.offsets.uriExtension))
        const { segmentSize } = { segmentSize: header.blockSize * 3 }
        const layout = geometryLayout(fixture.plaintext.length, 3, 10, segmentSize, uebLength)
        expect(encodeShareHeader(layout)).toEqual(data.subarray(0, 0x24))
        expect(layout.totalSize).toBe(share.share_data_length)
        expect(
          new Set(data.subarray(header.offsets.plaintextHashTree, header.offsets.crypttextHashTree)),
        ).toEqual(new Set([0]))
      }
    }
  })

  test('v2 has a 0x44-byte header with 64-bit fields and an 8-byte UEB length', () => {
    const v1 = geometryLayout(1000, 3, 10, 1002, 316)
    const v2 = geometryLayout(1000, 3, 10, 1002, 316, 2)
    expect(v2.version).toBe(2)
    expect(v2.offsets.data).toBe(0x44)
    expect(v2.offsets.uriExtension).toBe(v1.offsets.uriExtension + 0x20)
    expect(v2.totalSize).toBe(v1.totalSize + 0x20 + 4)
    const header = encodeShareHeader(v2)
    expect(header).toHaveLength(0x44)
    expect(parseShareHeader(header)).toEqual({
      version: 2,
      blockSize: v2.blockSize,
      dataSize: v2.dataSize,
      offsets: v2.offsets,
    })
    const ueb = new Uint8Array(316).fill(7)
    const region = encodeUebRegion(2, ueb)
    expect(region).toHaveLength(324)
    expect(parseUebLength(2, region)).toBe(316)
  })

  test('switches to v2 by itself only when a field reaches 2^32, as Tahoe does', () => {
    expect(geometryLayout(3 * (2 ** 32 - 2 ** 20), 3, 10, 3 << 20, 420).version).toBe(1)
    expect(geometryLayout(3 * 2 ** 32, 3, 10, 3 << 20, 420).version).toBe(2)
    expect(() => geometryLayout(3 * 2 ** 32, 3, 10, 3 << 20, 420, 1)).toThrow(/too large for share data v1/)
  })

  test.each([
    ['an unknown version', (h: Uint8Array) => new DataView(h.buffer).setUint32(0, 3), /unknown version 3/],
    ['offsets out of order', (h: Uint8Array) => new DataView(h.buffer).setUint32(20, 1), /out of order/],
    [
      'a share hash chain of odd size',
      (h: Uint8Array) => new DataView(h.buffer).setUint32(32, 637),
      /not a multiple of 34/,
    ],
  ])('a header with %s is corrupt', (_what, mangle, message) => {
    const header = encodeShareHeader(geometryLayout(1000, 3, 10, 1002, 316))
    mangle(header)
    const error = errorOf(() => parseShareHeader(header))
    expect(error.message).toMatch(message)
    expect(storageErrorKind(error)).toBe('CORRUPT_SHARE')
  })

  test('a truncated header is corrupt', () => {
    const header = encodeShareHeader(geometryLayout(1000, 3, 10, 1002, 316))
    expect(() => parseShareHeader(header.subarray(0, 20))).toThrow(/needs 36 bytes, got 20/)
    expect(() => parseShareHeader(header.subarray(0, 3))).toThrow(/only 3 bytes/)
  })

  test('share hash chains are (16-bit index, hash) pairs', () => {
    const entries: [number, Uint8Array][] = [
      [16, new Uint8Array(32).fill(1)],
      [2, new Uint8Array(32).fill(2)],
    ]
    const bytes = encodeShareHashChain(entries)
    expect(bytes).toHaveLength(68)
    expect([...parseShareHashChain(bytes)]).toEqual(entries)
    expect(() => parseShareHashChain(bytes.subarray(0, 67))).toThrow(/not a multiple of 34/)
    expect(() => parseShareHashChain(encodeShareHashChain([entries[0]!, entries[0]!]))).toThrow(
      /node 16 twice/,
    )
  })

  test('a UEB length of 2000 or more is implausible', () => {
    const field = new Uint8Array(4)
    new DataView(field.buffer).setUint32(0, 2000)
    expect(() => parseUebLength(1, field)).toThrow(/implausible/)
  })
})
