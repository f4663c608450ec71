import { roundUpPow2 } from '../crypto/hash-tree.ts'
import { HASH_SIZE } from '../crypto/hashes.ts'
import { storageError } from '../util/storage-error.ts'

/**
 * Immutable share data, as a Tahoe-LAFS 1.20 client writes it to a server (allmydata/immutable/
 * layout.py; docs/specifications/file-encoding.rst). Two versions of one layout:
 *
 * - v1: header of nine big-endian 32-bit fields (0x24 bytes): version 1, block size, share data size,
 *   then the offsets of the data, the (unused) plaintext hash tree, the crypttext hash tree, the block
 *   hashes, the share hashes and the URI extension block. The UEB is prefixed by a 32-bit length.
 * - v2: the same with a 32-bit version 2 and eight 64-bit fields (0x44 bytes), and a 64-bit UEB
 *   length. Used only when v1 cannot describe the share (a field reaching 2^32).
 *
 * After the header: the blocks (one per segment, the last shorter), the plaintext hash tree region
 * (never used; zeros), the crypttext hash tree (every node), the block hash tree (every node), the
 * share hash chain as (16-bit node index, 32-byte hash) pairs, and the length-prefixed UEB. The three
 * segment-tree regions all have room for a tree over numSegments leaves padded to a power of two.
 */
export type ShareDataVersion = 1 | 2

export const SHARE_HEADER_SIZE: Record<ShareDataVersion, number> = { 1: 0x24, 2: 0x44 }
/** Bytes to read to be sure of having the whole header of either version. */
export const MAX_SHARE_HEADER_SIZE = 0x44
/** Tahoe refuses UEBs of 2000 bytes or more as corrupt (real ones are about 420). */
export const MAX_UEB_SIZE = 2000
/** Bytes per share hash chain entry. */
export const SHARE_HASH_ENTRY_SIZE = 2 + HASH_SIZE

export interface ShareOffsets {
  readonly data: number
  readonly plaintextHashTree: number
  readonly crypttextHashTree: number
  readonly blockHashes: number
  readonly shareHashes: number
  readonly uriExtension: number
}

export interface ShareHeader {
  readonly version: ShareDataVersion
  /** informational since Tahoe 1.3: readers use the UEB */
  readonly blockSize: number
  /** informational since Tahoe 1.3: readers use the UEB */
  readonly dataSize: number
  readonly offsets: ShareOffsets
}

export interface ShareLayout extends ShareHeader {
  readonly headerSize: number
  /** 4 (v1) or 8 (v2): size of the UEB length prefix */
  readonly fieldSize: number
  /** size of each of the three segment hash tree regions */
  readonly segmentHashesSize: number
  readonly shareHashesSize: number
  readonly uebSize: number
  /** total share data size (what the server allocates and the client writes) */
  readonly totalSize: number
}

export interface ShareLayoutInit {
  readonly blockSize: number
  /** bytes of blocks in the share */
  readonly dataSize: number
  readonly numSegments: number
  /** entries in the share hash chain */
  readonly numShareHashes: number
  readonly uebSize: number
  /** force a version; by default v1 when it fits, as Tahoe does */
  readonly version?: ShareDataVersion
}

const TWO_32 = 2 ** 32

/** Entries in each share's hash chain for N shares: the leaf and its uncles. */
export function shareHashChainLength(totalShares: number): number {
  return Math.log2(roundUpPow2(totalShares)) + 1
}

export function planShareLayout(init: ShareLayoutInit): ShareLayout {
  const segmentHashesSize = (2 * roundUpPow2(init.numSegments) - 1) * HASH_SIZE
  const shareHashesSize = init.numShareHashes * SHARE_HASH_ENTRY_SIZE
  const plan = (version: ShareDataVersion): ShareLayout => {
    const headerSize = SHARE_HEADER_SIZE[version]
    const data = headerSize
    const plaintextHashTree = data + init.dataSize
    const crypttextHashTree = plaintextHashTree + segmentHashesSize
    const blockHashes = crypttextHashTree + segmentHashesSize
    const shareHashes = blockHashes + segmentHashesSize
    const uriExtension = shareHashes + shareHashesSize
    const fieldSize = version === 1 ? 4 : 8
    return {
      version,
      blockSize: init.blockSize,
      dataSize: init.dataSize,
      offsets: { data, plaintextHashTree, crypttextHashTree, blockHashes, shareHashes, uriExtension },
      headerSize,
      fieldSize,
      segmentHashesSize,
      shareHashesSize,
      uebSize: init.uebSize,
      totalSize: uriExtension + fieldSize + init.uebSize,
    }
  }
  if (init.version === 2) return checkSafe(plan(2))
  const v1 = plan(1)
  const fits = init.blockSize < TWO_32 && init.dataSize < TWO_32 && v1.offsets.uriExtension < TWO_32
  if (init.version === 1 && !fits) {
    throw storageError('TOO_LARGE', 'share too large for share data v1 (a field reaches 2^32)')
  }
  return fits ? v1 : checkSafe(plan(2))
}

function checkSafe(layout: ShareLayout): ShareLayout {
  if (!Number.isSafeInteger(layout.totalSize)) {
    throw storageError('TOO_LARGE', `share of ${layout.totalSize} bytes is beyond 2^53`)
  }
  return layout
}

export function encodeShareHeader(header: ShareHeader): Uint8Array {
  const { offsets } = header
  const fields = [
    header.blockSize,
    header.dataSize,
    offsets.data,
    offsets.plaintextHashTree,
    offsets.crypttextHashTree,
    offsets.blockHashes,
    offsets.shareHashes,
    offsets.uriExtension,
  ]
  const out = new Uint8Array(SHARE_HEADER_SIZE[header.version])
  const view = new DataView(out.buffer)
  view.setUint32(0, header.version)
  fields.forEach((value, i) => {
    if (header.version === 1) view.setUint32(4 + 4 * i, value)
    else view.setBigUint64(4 + 8 * i, BigInt(value))
  })
  return out
}

function corrupt(message: string, details: Record<string, unknown> = {}): Error {
  return storageError('CORRUPT_SHARE', `share header: ${message}`, details)
}

/**
 * Parses and sanity-checks a share header from the first bytes of a share (at least 0x24 bytes for
 * v1, 0x44 for v2; reading MAX_SHARE_HEADER_SIZE covers both). Throws CORRUPT_SHARE.
 */
export function parseShareHeader(bytes: Uint8Array): ShareHeader {
  if (bytes.length < 4) throw corrupt(`only ${bytes.length} bytes`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const version = view.getUint32(0)
  if (version !== 1 && version !== 2)
    throw corrupt(`unknown version ${version} (this reader knows 1 and 2)`, { version })
  const size = SHARE_HEADER_SIZE[version]
  if (bytes.length < size) throw corrupt(`v${version} header needs ${size} bytes, got ${bytes.length}`)
  const fields: number[] = []
  for (let i = 0; i < 8; i++) {
    if (version === 1) fields.push(view.getUint32(4 + 4 * i))
    else {
      const value = view.getBigUint64(4 + 8 * i)
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`field ${i + 1} beyond 2^53`)
      fields.push(Number(value))
    }
  }
  const [
    blockSize,
    dataSize,
    data,
    plaintextHashTree,
    crypttextHashTree,
    blockHashes,
    shareHashes,
    uriExtension,
  ] = fields as [number, number, number, number, number, number, number, number]
  const offsets = { data, plaintextHashTree, crypttextHashTree, blockHashes, shareHashes, uriExtension }
  const order = [size, data, plaintextHashTree, crypttextHashTree, blockHashes, shareHashes, uriExtension]
  for (let i = 1; i < order.length; i++) {
    if (order[i]! < order[i - 1]!) throw corrupt('offsets are out of order', { offsets })
  }
  if ((uriExtension - shareHashes) % SHARE_HASH_ENTRY_SIZE !== 0) {
    throw corrupt(`share hash chain of ${uriExtension - shareHashes} bytes is not a multiple of 34`, {
      offsets,
    })
  }
  if ((shareHashes - blockHashes) % HASH_SIZE !== 0) {
    throw corrupt(`block hash tree of ${shareHashes - blockHashes} bytes is not a multiple of 32`, {
      offsets,
    })
  }
  if ((blockHashes - crypttextHashTree) % HASH_SIZE !== 0) {
    throw corrupt(`crypttext hash tree of ${blockHashes - crypttextHashTree} bytes is not a multiple of 32`, {
      offsets,
    })
  }
  return { version, blockSize, dataSize, offsets }
}

/** Size of the UEB length prefix for a share data version. */
export function uebLengthFieldSize(version: ShareDataVersion): number {
  return version === 1 ? 4 : 8
}

/** The length-prefixed UEB as it ends a share. */
export function encodeUebRegion(version: ShareDataVersion, ueb: Uint8Array): Uint8Array {
  const fieldSize = uebLengthFieldSize(version)
  const out = new Uint8Array(fieldSize + ueb.length)
  const view = new DataView(out.buffer)
  if (version === 1) view.setUint32(0, ueb.length)
  else view.setBigUint64(0, BigInt(ueb.length))
  out.set(ueb, fieldSize)
  return out
}

/** Reads the UEB length prefix; throws CORRUPT_SHARE for lengths Tahoe would refuse. */
export function parseUebLength(version: ShareDataVersion, bytes: Uint8Array): number {
  const fieldSize = uebLengthFieldSize(version)
  if (bytes.length < fieldSize) throw corrupt(`UEB length field truncated (${bytes.length} bytes)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, fieldSize)
  const length = version === 1 ? view.getUint32(0) : Number(view.getBigUint64(0))
  if (!Number.isSafeInteger(length) || length >= MAX_UEB_SIZE) {
    throw storageError(
      'CORRUPT_SHARE',
      `URI extension block length ${length} is implausible (>= ${MAX_UEB_SIZE})`,
    )
  }
  return length
}

export function encodeShareHashChain(entries: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  const out = new Uint8Array(entries.length * SHARE_HASH_ENTRY_SIZE)
  const view = new DataView(out.buffer)
  entries.forEach(([index, hash], i) => {
    if (hash.length !== HASH_SIZE) throw new RangeError(`share hash ${index} is not ${HASH_SIZE} bytes`)
    view.setUint16(i * SHARE_HASH_ENTRY_SIZE, index)
    out.set(hash, i * SHARE_HASH_ENTRY_SIZE + 2)
  })
  return out
}

/** Parses a share hash chain region into node index -> hash; CORRUPT_SHARE on malformed input. */
export function parseShareHashChain(bytes: Uint8Array): Map<number, Uint8Array> {
  if (bytes.length % SHARE_HASH_ENTRY_SIZE !== 0) {
    throw storageError('CORRUPT_SHARE', `share hash chain of ${bytes.length} bytes is not a multiple of 34`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const chain = new Map<number, Uint8Array>()
  for (let at = 0; at < bytes.length; at += SHARE_HASH_ENTRY_SIZE) {
    const index = view.getUint16(at)
    if (chain.has(index)) throw storageError('CORRUPT_SHARE', `share hash chain lists node ${index} twice`)
    chain.set(index, bytes.subarray(at + 2, at + SHARE_HASH_ENTRY_SIZE))
  }
  return chain
}

/** Splits a region of concatenated 32-byte hashes. */
export function splitHashes(bytes: Uint8Array): Uint8Array[] {
  const hashes: Uint8Array[] = []
  for (let at = 0; at + HASH_SIZE <= bytes.length; at += HASH_SIZE)
    hashes.push(bytes.subarray(at, at + HASH_SIZE))
  return hashes
}
