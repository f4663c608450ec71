import { createHash, type Hash } from 'node:crypto'
import { netstring } from '../util/netstring.ts'

/**
 * Tahoe-LAFS tagged hashes (docs/specifications/file-encoding.rst, "Hashes"; the tags are those of
 * allmydata/util/hashutil.py). Every hash is SHA-256d (SHA-256 of SHA-256) over the netstring of a
 * single-purpose tag followed by the value; a pair is hashed as the tag's netstring followed by the
 * netstrings of both values. Some outputs are truncated (keys and storage indexes to 16 bytes).
 */
export const HASH_TAGS = {
  storageIndex: 'allmydata_immutable_key_to_storage_index_v1',
  block: 'allmydata_encoded_subshare_v1',
  uriExtension: 'allmydata_uri_extension_v1',
  plaintext: 'allmydata_plaintext_v1',
  crypttext: 'allmydata_crypttext_v1',
  crypttextSegment: 'allmydata_crypttext_segment_v1',
  plaintextSegment: 'allmydata_plaintext_segment_v1',
  convergentEncryption: 'allmydata_immutable_content_to_key_with_added_secret_v1+',
  merkleEmptyLeaf: 'Merkle tree empty leaf',
  merkleInternalNode: 'Merkle tree internal node',
} as const

export type HashTag = (typeof HASH_TAGS)[keyof typeof HASH_TAGS]

/** Length of every untruncated hash (SHA-256d output). */
export const HASH_SIZE = 32
/** Length of AES keys and storage indexes. */
export const KEY_SIZE = 16

function view(buffer: Buffer, length: number = buffer.length): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length)
}

/** SHA-256d over the concatenation of `parts`. */
export function sha256d(...parts: Uint8Array[]): Uint8Array {
  const inner = createHash('sha256')
  for (const part of parts) inner.update(part)
  return view(createHash('sha256').update(inner.digest()).digest())
}

/** An incremental tagged SHA-256d hash; `digest()` may be called more than once. */
export class TaggedHasher {
  #inner: Hash | undefined
  #digest: Uint8Array | undefined
  readonly #truncateTo: number | undefined

  constructor(tag: Uint8Array | string, truncateTo?: number) {
    this.#inner = createHash('sha256').update(netstring(tag))
    this.#truncateTo = truncateTo
  }

  update(data: Uint8Array): this {
    if (this.#inner === undefined) throw new Error('TaggedHasher: update after digest')
    this.#inner.update(data)
    return this
  }

  digest(): Uint8Array {
    if (this.#digest === undefined) {
      const inner = this.#inner
      if (inner === undefined) throw new Error('TaggedHasher: no state')
      this.#inner = undefined
      const outer = createHash('sha256').update(inner.digest()).digest()
      this.#digest = view(outer, this.#truncateTo ?? outer.length)
    }
    return this.#digest
  }
}

export function taggedHash(tag: Uint8Array | string, value: Uint8Array, truncateTo?: number): Uint8Array {
  return new TaggedHasher(tag, truncateTo).update(value).digest()
}

export function taggedPairHash(
  tag: Uint8Array | string,
  a: Uint8Array,
  b: Uint8Array,
  truncateTo?: number,
): Uint8Array {
  return new TaggedHasher(tag, truncateTo).update(netstring(a)).update(netstring(b)).digest()
}

/** CHK storage index: the read key (AES key) hashed and truncated to 16 bytes. */
export function storageIndexHash(readKey: Uint8Array): Uint8Array {
  return taggedHash(HASH_TAGS.storageIndex, readKey, KEY_SIZE)
}

/** Leaf of a block hash tree: the hash of one erasure-coded block. */
export function blockHash(block: Uint8Array): Uint8Array {
  return taggedHash(HASH_TAGS.block, block)
}

/** The URI extension block hash that a CHK cap carries. */
export function uriExtensionHash(ueb: Uint8Array): Uint8Array {
  return taggedHash(HASH_TAGS.uriExtension, ueb)
}

/** Flat hash of the whole ciphertext (UEB `crypttext_hash`), fed incrementally. */
export function crypttextHasher(): TaggedHasher {
  return new TaggedHasher(HASH_TAGS.crypttext)
}

/** Leaf of the crypttext hash tree: the hash of one ciphertext segment (unpadded). */
export function crypttextSegmentHasher(): TaggedHasher {
  return new TaggedHasher(HASH_TAGS.crypttextSegment)
}

/** Flat plaintext hash; Tahoe computes it while encrypting but no longer stores it. */
export function plaintextHasher(): TaggedHasher {
  return new TaggedHasher(HASH_TAGS.plaintext)
}

/** Plaintext segment hash; Tahoe no longer stores the plaintext hash tree (the region is zeros). */
export function plaintextSegmentHasher(): TaggedHasher {
  return new TaggedHasher(HASH_TAGS.plaintextSegment)
}

/** Padding leaf `i` of a Merkle tree (the tag hashed with the decimal index). */
export function merkleEmptyLeafHash(index: number): Uint8Array {
  return taggedHash(HASH_TAGS.merkleEmptyLeaf, new TextEncoder().encode(String(index)))
}

/** Interior node of a Merkle tree from its left and right children. */
export function merkleInternalNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return taggedPairHash(HASH_TAGS.merkleInternalNode, left, right)
}

export interface ConvergenceParams {
  /** the convergence secret (16 bytes in a Tahoe node's private/convergence) */
  readonly secret: Uint8Array
  /** k */
  readonly needed: number
  /** N */
  readonly total: number
  /** the real segment size (see chk-geometry.ts), not the configured maximum */
  readonly segmentSize: number
}

/**
 * The convergent-encryption key hasher: its tag is the convergence tag followed by the netstring of
 * the secret and the netstring of "k,N,segmentSize"; feed it the whole plaintext, and the digest is
 * truncated to the 16-byte AES key.
 */
export function convergenceHasher(params: ConvergenceParams): TaggedHasher {
  const { secret, needed, total, segmentSize } = params
  if (!Number.isInteger(needed) || !Number.isInteger(total) || needed < 1 || total < needed || total > 256) {
    throw new RangeError(`convergence hash needs 1 <= k <= N <= 256, got k=${needed} N=${total}`)
  }
  if (!Number.isSafeInteger(segmentSize) || segmentSize < 0) {
    throw new RangeError(`convergence hash needs a non-negative segment size, got ${segmentSize}`)
  }
  const tagPrefix = new TextEncoder().encode(HASH_TAGS.convergentEncryption)
  const secretPart = netstring(secret)
  const paramsPart = netstring(`${needed},${total},${segmentSize}`)
  const tag = new Uint8Array(tagPrefix.length + secretPart.length + paramsPart.length)
  tag.set(tagPrefix, 0)
  tag.set(secretPart, tagPrefix.length)
  tag.set(paramsPart, tagPrefix.length + secretPart.length)
  return new TaggedHasher(tag, KEY_SIZE)
}

/** Constant-time-ish equality of two hashes. */
export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}
