import { describe, expect, test } from 'vitest'
import {
  blockHash,
  convergenceHasher,
  crypttextHasher,
  crypttextSegmentHasher,
  HASH_TAGS,
  plaintextHasher,
  plaintextSegmentHasher,
  sha256d,
  storageIndexHash,
  TaggedHasher,
  taggedHash,
  taggedPairHash,
  uriExtensionHash,
} from '../../../../src/storage/crypto/hashes.ts'
import { base32Decode, base32Encode } from '../../../../src/storage/util/base32.ts'

const bytes = (s: string) => new TextEncoder().encode(s)
const b32 = (b: Uint8Array) => base32Encode(b)
const empty = new Uint8Array(0)

// Known answers published in Tahoe-LAFS's own test suite (allmydata/test/test_hashutil.py).
describe('tagged SHA-256d hashes match Tahoe-LAFS known answers', () => {
  test('tagged hash and tagged pair hash', () => {
    expect(b32(taggedHash('tag', bytes('hello world')))).toBe(
      'yra322btzoqjp4ts2jon5dztgnilcdg6jgztgk7joi6qpjkitg2q',
    )
    expect(b32(taggedHash('different', bytes('goodbye world')))).toBe(
      'z34pzkgo36chbjz2qykonlxthc4zdqqquapw4bcaoogzvmmcr3zq',
    )
    expect(b32(taggedPairHash('tag', bytes('hello'), bytes('world')))).toBe(
      'wmto44q3shtezwggku2fxztfkwibvznkfu6clatnvfog527sb6dq',
    )
    expect(b32(taggedPairHash('different', bytes('goodbye'), bytes('world')))).toBe(
      'qnehpoypxxdhjheqq7dayloghtu42yr55uylc776zt23ii73o3oq',
    )
  })

  test.each([
    ['block', () => blockHash(empty), 'msjr5bh4evuh7fa3zw7uovixfbvlnstr5b65mrerwfnvjxig2jvq'],
    ['uri extension', () => uriExtensionHash(empty), 'wthsu45q7zewac2mnivoaa4ulh5xvbzdmsbuyztq2a5fzxdrnkka'],
    ['plaintext', () => plaintextHasher().digest(), '5lz5hwz3qj3af7n6e3arblw7xzutvnd3p3fjsngqjcb7utf3x3da'],
    ['crypttext', () => crypttextHasher().digest(), 'itdj6e4njtkoiavlrmxkvpreosscssklunhwtvxn6ggho4rkqwga'],
    [
      'crypttext segment',
      () => crypttextSegmentHasher().digest(),
      'aovy5aa7jej6ym5ikgwyoi4pxawnoj3wtaludjz7e2nb5xijb7aa',
    ],
    [
      'plaintext segment',
      () => plaintextSegmentHasher().digest(),
      '4fdgf6qruaisyukhqcmoth4t3li6bkolbxvjy4awwcpprdtva7za',
    ],
  ])('%s hash of nothing', (_name, hash, expected) => {
    expect(b32(hash())).toBe(expected)
  })

  test('storage index from a read key (16 bytes)', () => {
    expect(b32(storageIndexHash(empty))).toBe('qb5igbhcc5esa6lwqorsy7e6am')
    expect(b32(storageIndexHash(bytes('x'.repeat(16))))).toBe('wvggbrnrezdpa5yayrgiw5nzja')
    expect(b32(storageIndexHash(base32Decode('2ckv3dfzh6rgjis6ogfqhyxnzy')))).toBe(
      'aarbseqqrpsfowduchcjbonscq',
    )
  })

  test('convergence key: secret and k,N,segment size in the tag, truncated to 16 bytes', () => {
    const key = convergenceHasher({
      secret: bytes('converge'),
      needed: 3,
      total: 10,
      segmentSize: 100,
    }).digest()
    expect(b32(key)).toBe('3mo6ni7xweplycin6nowynw2we')
    // the tag Tahoe builds: prefix + netstring(secret) + netstring("k,N,segsize")
    const tag = `${HASH_TAGS.convergentEncryption}16:${'B'.repeat(16)},9:3,10,1024,`
    const viaTag = new TaggedHasher(tag, 16).update(bytes('data')).digest()
    const viaParams = convergenceHasher({
      secret: bytes('B'.repeat(16)),
      needed: 3,
      total: 10,
      segmentSize: 1024,
    })
      .update(bytes('da'))
      .update(bytes('ta'))
      .digest()
    expect(viaParams).toEqual(viaTag)
  })

  test('the key of a real Tahoe upload (fixture chk-seg128KiB-len1000) and its storage index', () => {
    const key = convergenceHasher({ secret: bytes('a'.repeat(16)), needed: 3, total: 10, segmentSize: 1002 })
      .update(bytes('a'.repeat(1000)))
      .digest()
    expect(b32(key)).toBe('bwngqtfdshobudkbhl5mk6wqfe')
    expect(b32(storageIndexHash(key))).toBe('dlitow4pwohbtwvzpszyv7xp2i')
  })

  test('convergence parameters outside 1 <= k <= N <= 256 are refused', () => {
    const secret = bytes('B'.repeat(16))
    for (const [needed, total] of [
      [0, 1],
      [2, 1],
      [257, 257],
      [1, 257],
    ] as const) {
      expect(() => convergenceHasher({ secret, needed, total, segmentSize: 1024 })).toThrow(
        /1 <= k <= N <= 256/,
      )
    }
  })

  test('sha256d is SHA-256 applied twice; a digest can be read twice', () => {
    expect(b32(sha256d(bytes('a'), bytes('bc')))).toBe(b32(sha256d(bytes('abc'))))
    const hasher = new TaggedHasher('tag').update(bytes('hello world'))
    expect(hasher.digest()).toEqual(hasher.digest())
    expect(() => hasher.update(empty)).toThrow(/after digest/)
  })
})
