import { describe, expect, test } from 'vitest'
import {
  chkVerifyCapOf,
  createChkCap,
  formatChkCap,
  parseChkCap,
} from '../../../../src/storage/caps/chk-cap.ts'
import { formatChkVerifyCap, parseChkVerifyCap } from '../../../../src/storage/caps/chk-verify-cap.ts'
import { formatLitCap, parseLitCap } from '../../../../src/storage/caps/lit-cap.ts'
import { formatCap, parseCap } from '../../../../src/storage/caps/parse-cap.ts'
import { base32Encode } from '../../../../src/storage/util/base32.ts'
import { storageErrorKind } from '../../../../src/storage/util/storage-error.ts'
import { loadChkFixtures } from '../immutable/tahoe-data.ts'

const CHK =
  'URI:CHK:bwngqtfdshobudkbhl5mk6wqfe:f3tq55tk7kev2akrp46v3p2m4pltkbkk7igmo2hla5xxuiqbxhvq:3:10:1000'
const VERIFY =
  'URI:CHK-Verifier:dlitow4pwohbtwvzpszyv7xp2i:f3tq55tk7kev2akrp46v3p2m4pltkbkk7igmo2hla5xxuiqbxhvq:3:10:1000'

function errorOf(fn: () => unknown): Error & { details?: Record<string, unknown> } {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error')
}

describe('CHK read caps', () => {
  test('parse into key, UEB hash, k, N and size, derive the storage index, and format back', () => {
    const cap = parseChkCap(CHK)
    expect(cap).toMatchObject({ kind: 'chk', needed: 3, total: 10, size: 1000 })
    expect(cap.readKey).toHaveLength(16)
    expect(cap.uebHash).toHaveLength(32)
    expect(base32Encode(cap.storageIndex)).toBe('dlitow4pwohbtwvzpszyv7xp2i')
    expect(formatChkCap(cap)).toBe(CHK)
    expect(formatChkVerifyCap(chkVerifyCapOf(cap))).toBe(VERIFY)
  })

  test('every cap of the real Tahoe fixtures round-trips, with the verify cap Tahoe made', () => {
    for (const fixture of loadChkFixtures()) {
      const cap = parseChkCap(fixture.cap)
      expect(formatChkCap(cap)).toBe(fixture.cap)
      expect(base32Encode(cap.storageIndex)).toBe(fixture.storage_index_base32)
      expect(formatChkVerifyCap(chkVerifyCapOf(cap))).toBe(fixture.verify_cap)
      expect(formatChkVerifyCap(parseChkVerifyCap(fixture.verify_cap))).toBe(fixture.verify_cap)
    }
  })

  test('createChkCap checks its fields', () => {
    const cap = parseChkCap(CHK)
    expect(() => createChkCap({ ...cap, readKey: new Uint8Array(15) })).toThrow(/read key must be 16 bytes/)
    expect(() => createChkCap({ ...cap, needed: 11 })).toThrow(/1 <= k <= N <= 256/)
    expect(() => createChkCap({ ...cap, size: -1 })).toThrow(/non-negative/)
  })
})

describe('LIT caps', () => {
  test('hold the data itself, any length including none', () => {
    const hello = new TextEncoder().encode('hello')
    expect(formatLitCap({ kind: 'lit', data: hello })).toBe('URI:LIT:nbswy3dp')
    expect(parseLitCap('URI:LIT:nbswy3dp').data).toEqual(hello)
    expect(parseCap('URI:LIT:')).toEqual({ kind: 'lit', data: new Uint8Array(0) })
  })
})

describe('parseCap', () => {
  test('dispatches on the kind and formats back', () => {
    for (const text of [CHK, VERIFY, 'URI:LIT:nbswy3dp']) expect(formatCap(parseCap(text))).toBe(text)
    expect(parseCap(CHK).kind).toBe('chk')
    expect(parseCap(VERIFY).kind).toBe('chk-verifier')
  })

  test('accepts the alleged-immutable and alleged-read-only prefixes on immutable caps', () => {
    expect(formatCap(parseCap(`imm.${CHK}`))).toBe(CHK)
    expect(formatCap(parseCap('ro.URI:LIT:nbswy3dp'))).toBe('URI:LIT:nbswy3dp')
  })

  test.each([
    [
      'URI:SSK:fs6ul2fju2fvb2cfx7gt6ngycm:hncpinwszbggrurbvuaaexnftk3j5wfr7473pj2g734mo2isxlbq',
      /URI:SSK: caps \(mutable SDMF file write cap\) are not supported yet/,
    ],
    ['URI:SSK-RO:aaaa:bbbb', /URI:SSK-RO: caps .* not supported yet/],
    [
      'URI:MDMF:tn2ekpkmearz7k3bivm3ikuz3i:wcqgst36kymoirczlkok5pqdekt5lgsyfw3oh7ecoro3rj5aiyya',
      /URI:MDMF: caps .* not supported yet/,
    ],
    ['URI:MDMF-Verifier:aaaa:bbbb', /not supported yet/],
    ['URI:DIR2:aaaa:bbbb', /URI:DIR2: caps \(directory write cap\) are not supported yet/],
    ['URI:DIR2-CHK:URI:CHK:x', /URI:DIR2-CHK: caps .* not supported yet/],
  ])('says that %s is a kind not supported yet', (text, message) => {
    const error = errorOf(() => parseCap(text))
    expect(error.message).toMatch(message)
    expect(storageErrorKind(error)).toBe('UNSUPPORTED_CAP')
  })

  test.each([
    ['', /caps start with "URI:"/],
    ['http://example.com/', /caps start with "URI:"/],
    ['URI:', /no kind after "URI:"/],
    ['URI:FOO:abc', /unknown cap kind "URI:FOO:"/],
    [`${CHK}\n`, /whitespace/],
    ['URI:CHK:bwngqtfdshobudkbhl5mk6wqfe:3:10:1000', /4 field\(s\) after the prefix, expected 5/],
    [CHK.replace('bwngq', 'BWNGQ'), /read key must be 26 base32 characters .*invalid base32 character "B"/],
    [
      CHK.replace('bwngqtfdshobudkbhl5mk6wqfe', 'bwngqtfdshobudkbhl5mk6wqf'),
      /read key must be 26 base32 characters/,
    ],
    [CHK.replace('bwngqtfdshobudkbhl5mk6wqfe', 'bwngqtfdshobudkbhl5mk6wqff'), /non-zero padding bits/],
    [CHK.replace('f3tq55', 'f3tq5'), /UEB hash must be 52 base32 characters/],
    [CHK.replace(':3:10:', ':0:10:'), /needed shares \(k\) 0 is outside 1..256/],
    [CHK.replace(':3:10:', ':11:10:'), /needed shares 11 exceed total shares 10/],
    [CHK.replace(':3:10:', ':3:257:'), /total shares \(N\) 257 is outside 1..256/],
    [CHK.replace(':3:10:', ':03:10:'), /without leading zeros/],
    [CHK.replace(':1000', ':-1'), /size must be a decimal number/],
    [CHK.replace(':1000', ':99999999999999999999'), /size 99999999999999999999 is outside/],
    [`${VERIFY}:extra`, /6 field\(s\) after the prefix, expected 5/],
    ['URI:LIT:nbswy3dpeb', /URI:LIT: cap: the data is not canonical base32.*padding bits/],
    ['URI:LIT:n', /not canonical base32/],
  ])('refuses garbage %j with a clear error', (text, message) => {
    const error = errorOf(() => parseCap(text))
    expect(error.message).toMatch(message)
    expect(storageErrorKind(error)).toBe('INVALID_CAP')
  })

  test('never puts the secret cap text into the error', () => {
    const bad = CHK.replace(':3:10:', ':11:10:')
    const error = errorOf(() => parseCap(bad))
    expect(error.message).not.toContain('bwngqtfdshobudkbhl5mk6wqfe')
    expect(JSON.stringify(error.details)).not.toContain('bwngqtfdshobudkbhl5mk6wqfe')
  })

  test('refuses a value that is not a string', () => {
    expect(() => parseCap(42 as unknown as string)).toThrow(/must be a string/)
  })
})
