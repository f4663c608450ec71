import { X509Certificate } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import {
  formatContentRange,
  parseContentRange,
  parseRange,
} from '../../../../src/storage/server/http-ranges.ts'
import { formatNurl, parseNurl, swissnumAuthorization } from '../../../../src/storage/server/nurl.ts'
import { decodeCbor, encodeCbor } from '../../../../src/storage/server/storage-cbor.ts'
import { createTlsIdentity, spkiHash } from '../../../../src/storage/server/tls-identity.ts'
import { CloudyError } from '../../../../src/util/errors.ts'

describe('NURLs', () => {
  const spki = 'x'.repeat(43)
  test('are pb://<base64url SPKI hash>@<host>:<port>/<swissnum>#v=1, IPv6 hosts bracketed', () => {
    const n = { spkiHash: spki, host: '127.0.0.1', port: 47201, swissnum: 'of6egoj5at5hq2rnkyazbasuskndyawy' }
    expect(formatNurl(n)).toBe(`pb://${spki}@127.0.0.1:47201/of6egoj5at5hq2rnkyazbasuskndyawy#v=1`)
    expect(parseNurl(formatNurl(n))).toEqual(n)
    const v6 = { ...n, host: '::1' }
    expect(formatNurl(v6)).toBe(`pb://${spki}@[::1]:47201/of6egoj5at5hq2rnkyazbasuskndyawy#v=1`)
    expect(parseNurl(formatNurl(v6))).toEqual(v6)
  })

  test.each([
    ['a Foolscap fURL (no #v=1)', `pb://${spki}@127.0.0.1:1/abc`],
    ['another scheme', `https://${spki}@127.0.0.1:1/abc#v=1`],
    ['a base32 tub id instead of the hash', 'pb://rz56tzl2d5xdei6pexr3vpdoaw24ti4f@127.0.0.1:1/abc#v=1'],
    ['no port', `pb://${spki}@127.0.0.1/abc#v=1`],
    ['no swissnum', `pb://${spki}@127.0.0.1:1/#v=1`],
    ['not a URL', 'hello'],
  ])('refuse %s', (_name, text) => {
    expect(() => parseNurl(text)).toThrow(CloudyError)
  })

  test('the Authorization header is the base64 of the swissnum (as in the transcripts)', () => {
    expect(swissnumAuthorization('of6egoj5at5hq2rnkyazbasuskndyawy')).toBe(
      'Tahoe-LAFS b2Y2ZWdvajVhdDVocTJybmt5YXpiYXN1c2tuZHlhd3k=',
    )
  })

  test('the certificate hash is 43 characters of unpadded base64url over the DER SPKI', async () => {
    const id = await createTlsIdentity()
    expect(id.spkiHash).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(spkiHash(new X509Certificate(id.certificatePem))).toBe(id.spkiHash)
  })
})

describe('ranges', () => {
  test('Range: exactly one closed byte range', () => {
    expect(parseRange('bytes=0-1023')).toEqual({ start: 0, end: 1024 })
    expect(parseRange('bytes=5-5')).toEqual({ start: 5, end: 6 })
    for (const bad of [
      'bytes=-5',
      'bytes=5-',
      'bytes=0-1,3-4',
      'bytes=9-1',
      'items=0-1',
      'bytes=0x1-2',
      '',
    ]) {
      expect(parseRange(bad), bad).toBeUndefined()
    }
  })

  test('Content-Range: bytes first-last/total or /*', () => {
    expect(parseContentRange('bytes 0-955/*')).toEqual({ start: 0, end: 956 })
    expect(parseContentRange('bytes 16-31/48')).toEqual({ start: 16, end: 32 })
    for (const bad of ['bytes 16-48/48', 'bytes 5-1/*', 'bytes */48', 'bytes=0-1', '']) {
      expect(parseContentRange(bad), bad).toBeUndefined()
    }
    expect(formatContentRange({ start: 0, end: 2061 })).toBe('bytes 0-2060/*')
  })
})

describe('CBOR as Tahoe writes it', () => {
  test('sets are tag 258 around an array; maps keep their order; big integers are uint64', () => {
    expect(Buffer.from(encodeCbor(new Set<number>())).toString('hex')).toBe('d9010280')
    const alloc = new Map([
      ['already-have', new Set<number>()],
      ['allocated', new Set([1])],
    ])
    expect(Buffer.from(encodeCbor(alloc)).toString('hex')).toBe(
      'a26c616c72656164792d68617665d90102806961 6c6c6f6361746564d901028101'.replaceAll(' ', ''),
    )
    expect(Buffer.from(encodeCbor(69105000000000000n)).toString('hex')).toBe('1b00f582a1a1341000')
  })

  test('decoding gives Maps with integer and byte keys, Sets for tag 258, and refuses other tags', () => {
    const m = decodeCbor(encodeCbor(new Map<unknown, unknown>([[4, [Buffer.from('ab')]]]))) as Map<
      number,
      Uint8Array[]
    >
    expect(Buffer.from(m.get(4)?.[0] ?? []).toString()).toBe('ab')
    expect(decodeCbor(Buffer.from('d9010283010203', 'hex'))).toEqual(new Set([1, 2, 3]))
    expect(() => decodeCbor(Buffer.from('c11a5f5e1000', 'hex'))).toThrow()
    expect(() => decodeCbor(Buffer.from('d90102a0', 'hex'))).toThrow() // a set that is not an array
  })
})
