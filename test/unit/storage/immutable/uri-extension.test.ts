import { describe, expect, test } from 'vitest'
import { parseChkCap } from '../../../../src/storage/caps/chk-cap.ts'
import { uriExtensionHash } from '../../../../src/storage/crypto/hashes.ts'
import { parseShareHeader, parseUebLength } from '../../../../src/storage/immutable/share-layout.ts'
import {
  encodeUriExtension,
  parseUriExtension,
  type UriExtension,
  uriExtensionSize,
} from '../../../../src/storage/immutable/uri-extension.ts'
import { storageErrorKind } from '../../../../src/storage/util/storage-error.ts'
import { type ChkFixture, fixtureShareData, loadChkFixtures } from './tahoe-data.ts'

const text = (s: string) => new TextEncoder().encode(s)

function uebOf(fixture: ChkFixture): Uint8Array {
  const share = fixtureShareData(fixture, fixture.shares.find((s) => s.stored)!)
  const { version, offsets } = parseShareHeader(share)
  const fieldSize = version === 1 ? 4 : 8
  const length = parseUebLength(version, share.subarray(offsets.uriExtension))
  return share.subarray(offsets.uriExtension + fieldSize, offsets.uriExtension + fieldSize + length)
}

// What the Tahoe-LAFS 1.20 fixtures' UEBs hold (their README lists the same values)
const EXPECTED: Record<string, [string, string, number, number]> = {
  'chk-seg128KiB-len56': ['57-3-10', '57-3-10', 57, 1],
  'chk-seg128KiB-len1000': ['1002-3-10', '1002-3-10', 1002, 1],
  'chk-seg128KiB-len131073': ['131073-3-10', '131073-3-10', 131073, 1],
  'chk-seg128KiB-len1048577': ['131073-3-10', '131067-3-10', 131073, 8],
  'chk-seg1MiB-len1048577': ['1048578-3-10', '1048578-3-10', 1048578, 1],
}

describe('URI extension blocks written by Tahoe-LAFS 1.20', () => {
  const fixtures = loadChkFixtures()

  test.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: parse, re-encode byte for byte, hash to the cap',
    (name, fixture) => {
      const bytes = uebOf(fixture)
      const ueb = parseUriExtension(bytes)
      const [codecParams, tailParams, segmentSize, numSegments] = EXPECTED[name]!
      expect(ueb).toMatchObject({
        codecName: 'crs',
        size: fixture.plaintext.length,
        segmentSize,
        numSegments,
        neededShares: 3,
        totalShares: 10,
      })
      expect(`${ueb.codecParams.segmentSize}-${ueb.codecParams.needed}-${ueb.codecParams.total}`).toBe(
        codecParams,
      )
      expect(
        `${ueb.tailCodecParams.segmentSize}-${ueb.tailCodecParams.needed}-${ueb.tailCodecParams.total}`,
      ).toBe(tailParams)
      // exactly the eleven fields, nothing else
      expect(ueb.extra).toBeUndefined()
      expect(encodeUriExtension(ueb)).toEqual(bytes)
      expect(uriExtensionHash(bytes)).toEqual(parseChkCap(fixture.cap).uebHash)
      expect(uriExtensionSize(ueb)).toBe(bytes.length)
    },
  )
})

describe('URI extension block encoding', () => {
  const hash = (fill: number) => new Uint8Array(32).fill(fill)
  const ueb: UriExtension = {
    codecName: 'crs',
    codecParams: { segmentSize: 6, needed: 2, total: 3 },
    tailCodecParams: { segmentSize: 4, needed: 2, total: 3 },
    size: 10,
    segmentSize: 6,
    numSegments: 2,
    neededShares: 2,
    totalShares: 3,
    crypttextHash: hash(1),
    crypttextRootHash: hash(2),
    shareRootHash: hash(3),
  }

  test('sorts keys and writes each value as a netstring', () => {
    const encoded = new TextDecoder('latin1').decode(encodeUriExtension(ueb))
    expect(encoded.startsWith('codec_name:3:crs,codec_params:5:6-2-3,crypttext_hash:32:')).toBe(true)
    expect(encoded.endsWith('size:2:10,tail_codec_params:5:4-2-3,total_shares:1:3,')).toBe(true)
  })

  test('keeps fields it does not know, in sorted position', () => {
    const withExtra = { ...ueb, extra: new Map([['plaintext_hash', hash(9)]]) }
    const encoded = encodeUriExtension(withExtra)
    const parsed = parseUriExtension(encoded)
    expect(parsed.extra?.get('plaintext_hash')).toEqual(hash(9))
    expect(encodeUriExtension(parsed)).toEqual(encoded)
    const keys = [...new TextDecoder('latin1').decode(encoded).matchAll(/(?:^|,)([a-z_]+):\d+:/g)].map(
      (m) => m[1],
    )
    expect(keys).toEqual([...keys].sort())
  })

  test.each([
    ['a missing field', (s: string) => s.replace(/size:2:10,/, ''), /missing size/],
    ['a duplicated key', (s: string) => `${s}size:2:10,`, /duplicate key size/],
    [
      'a broken netstring',
      (s: string) => s.replace('codec_name:3:crs,', 'codec_name:4:crs,'),
      /value of codec_name/,
    ],
    ['a bad number', (s: string) => s.replace('size:2:10,', 'size:2:1x,'), /size is not a decimal integer/],
    [
      'a short hash',
      (s: string) => s.replace(/share_root_hash:32:[\s\S]{32},/, 'share_root_hash:1:x,'),
      /share_root_hash is 1 bytes/,
    ],
    [
      'bad codec params',
      (s: string) => s.replace('codec_params:5:6-2-3,', 'codec_params:5:6-2-x,'),
      /codec_params is not/,
    ],
    ['a key without a value', (s: string) => `${s}junk`, /no ':' after the key/],
  ])('refuses %s', (_what, mangle, message) => {
    const mangled = text(mangle(new TextDecoder('latin1').decode(encodeUriExtension(ueb))))
    let error: unknown
    try {
      parseUriExtension(mangled)
    } catch (err) {
      error = err
    }
    expect((error as Error).message).toMatch(message)
    expect(storageErrorKind(error)).toBe('INVALID_FORMAT')
  })
})
