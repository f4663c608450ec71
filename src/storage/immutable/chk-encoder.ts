import { type ChkCap, chkVerifyCapOf, createChkCap, formatChkCap } from '../caps/chk-cap.ts'
import { type ChkVerifyCap, formatChkVerifyCap } from '../caps/chk-verify-cap.ts'
import { createLitCap, formatLitCap, LIT_MAX_SIZE, type LitCap } from '../caps/lit-cap.ts'
import { createZfec, type ErasureCoder } from '../codec/zfec.ts'
import { AesCtrStream } from '../crypto/aes-ctr.ts'
import { HashTree } from '../crypto/hash-tree.ts'
import {
  blockHash,
  convergenceHasher,
  crypttextHasher,
  crypttextSegmentHasher,
  storageIndexHash,
  uriExtensionHash,
} from '../crypto/hashes.ts'
import { concatBytes } from '../util/bytes.ts'
import { storageError } from '../util/storage-error.ts'
import { type ChkGeometry, chkGeometry, chkSegmentSize, DEFAULT_MAX_SEGMENT_SIZE } from './chk-geometry.ts'
import { shareHashChain } from './share-hash-chain.ts'
import type { PlaintextSource, ShareSink } from './share-io.ts'
import {
  encodeShareHashChain,
  encodeShareHeader,
  encodeUebRegion,
  planShareLayout,
  type ShareDataVersion,
  type ShareLayout,
  shareHashChainLength,
} from './share-layout.ts'
import { encodeUriExtension, type UriExtension, uriExtensionSize } from './uri-extension.ts'

/**
 * CHK upload encoding, byte-compatible with Tahoe-LAFS 1.20 (docs/storage-format.md). Two passes
 * over the plaintext: the first hashes it into the convergent key, the second encrypts it segment by
 * segment, erasure-codes each segment into N blocks and writes them to the sink, one segment ahead
 * at most. Memory stays around two segments times N/k. Files of at most 55 bytes become LIT caps and
 * write nothing.
 */
export interface ChkEncodeInit {
  /** the node's convergence secret, 16 bytes */
  readonly convergenceSecret: Uint8Array
  /** k (default 3) */
  readonly needed?: number
  /** servers of happiness (default 7); passed to the sink, not part of the encoding */
  readonly happy?: number
  /** N (default 10) */
  readonly total?: number
  /** default 1 MiB, Tahoe 1.20's default; the real segment size is derived from it */
  readonly maxSegmentSize?: number
  /** force share data v2 (64-bit offsets); by default v1 unless the share needs v2, as Tahoe */
  readonly shareDataVersion?: ShareDataVersion
  readonly signal?: AbortSignal
  readonly onProgress?: (event: ChkEncodeProgress) => void
}

export interface ChkEncodeComponents {
  /** the erasure coder factory (default: zfec) */
  readonly createCoder?: (needed: number, total: number) => ErasureCoder
}

export type ChkEncodeProgress =
  /** the first pass (convergent key) has hashed `bytes` of `size` */
  | { readonly type: 'plaintext:hashed'; readonly bytes: number; readonly size: number }
  /** every share's block of segment `segment` has been written */
  | {
      readonly type: 'segment:written'
      readonly segment: number
      readonly numSegments: number
      readonly bytes: number
      readonly size: number
    }
  /** the hash trees and UEB have been written to every share */
  | { readonly type: 'shares:finished'; readonly shareSize: number }

export interface LitEncodeResult {
  readonly kind: 'lit'
  readonly cap: LitCap
  readonly capString: string
  readonly size: number
}

export interface ChkEncodeResult {
  readonly kind: 'chk'
  readonly cap: ChkCap
  readonly capString: string
  readonly verifyCap: ChkVerifyCap
  readonly verifyCapString: string
  readonly storageIndex: Uint8Array
  readonly uriExtension: UriExtension
  readonly uriExtensionBytes: Uint8Array
  readonly geometry: ChkGeometry
  readonly layout: ShareLayout
  readonly size: number
}

export type ImmutableEncodeResult = LitEncodeResult | ChkEncodeResult

interface Params {
  needed: number
  happy: number
  total: number
  maxSegmentSize: number
}

function checkParams(init: ChkEncodeInit, size: number): Params {
  const needed = init.needed ?? 3
  const happy = init.happy ?? 7
  const total = init.total ?? 10
  const maxSegmentSize = init.maxSegmentSize ?? DEFAULT_MAX_SEGMENT_SIZE
  const bad = (message: string) => storageError('INVALID_FORMAT', message, { needed, happy, total })
  if (!Number.isInteger(needed) || !Number.isInteger(total) || needed < 1 || needed > total || total > 256) {
    throw bad(`encoding needs integers 1 <= k <= N <= 256, got k=${needed} N=${total}`)
  }
  if (!Number.isInteger(happy) || happy < 1 || happy > total) {
    throw bad(`happy must be an integer in 1..N (${total}), got ${happy}`)
  }
  if (!Number.isSafeInteger(maxSegmentSize) || maxSegmentSize < 1) {
    throw bad(`maxSegmentSize must be a positive integer, got ${maxSegmentSize}`)
  }
  if (!(init.convergenceSecret instanceof Uint8Array) || init.convergenceSecret.length !== 16) {
    throw bad('the convergence secret must be 16 bytes')
  }
  if (!Number.isSafeInteger(size) || size < 0)
    throw bad(`plaintext size must be a non-negative integer, got ${size}`)
  return { needed, happy, total, maxSegmentSize }
}

/** Reads a source in exactly-sized pieces, checking that it holds exactly `size` bytes. */
class ExactReader {
  readonly #iterator: AsyncIterator<Uint8Array>
  readonly #size: number
  #carry: Uint8Array = new Uint8Array(0)
  #read = 0
  #done = false

  constructor(source: PlaintextSource) {
    this.#iterator = source.open()[Symbol.asyncIterator]()
    this.#size = source.size
  }

  /** Fills `target` completely from the source. */
  async fill(target: Uint8Array, signal?: AbortSignal): Promise<void> {
    let at = 0
    while (at < target.length) {
      if (this.#carry.length === 0) {
        signal?.throwIfAborted()
        const next = await this.#iterator.next()
        if (next.done) {
          this.#done = true
          throw this.#sizeMismatch(this.#read + at)
        }
        this.#carry = next.value
        continue
      }
      const take = Math.min(this.#carry.length, target.length - at)
      target.set(this.#carry.subarray(0, take), at)
      this.#carry = this.#carry.subarray(take)
      at += take
    }
    this.#read += target.length
  }

  /** Checks that the source has nothing left and releases it. */
  async end(): Promise<void> {
    let extra = this.#carry.length
    while (extra === 0) {
      const next = await this.#iterator.next()
      if (next.done) {
        this.#done = true
        return
      }
      extra += next.value.length
    }
    await this.close()
    throw this.#sizeMismatch(this.#read + extra, true)
  }

  /** Releases the source (a file handle, a stream) when reading stops early. */
  async close(): Promise<void> {
    if (this.#done) return
    this.#done = true
    await this.#iterator.return?.()
  }

  #sizeMismatch(seen: number, more = false): Error {
    return storageError(
      'INVALID_FORMAT',
      `the plaintext source gave ${more ? 'at least ' : ''}${seen} bytes but declared ${this.#size}`,
      { size: this.#size, seen },
    )
  }
}

async function readAll(source: PlaintextSource, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(source.size)
  const reader = new ExactReader(source)
  try {
    await reader.fill(out, signal)
    await reader.end()
  } finally {
    await reader.close()
  }
  return out
}

const HASH_PASS_PIECE = 1024 * 1024

async function convergentKey(
  source: PlaintextSource,
  params: Params,
  segmentSize: number,
  init: ChkEncodeInit,
) {
  const hasher = convergenceHasher({
    secret: init.convergenceSecret,
    needed: params.needed,
    total: params.total,
    segmentSize,
  })
  const reader = new ExactReader(source)
  try {
    const piece = new Uint8Array(Math.min(HASH_PASS_PIECE, source.size))
    for (let done = 0; done < source.size; ) {
      const chunk = piece.subarray(0, Math.min(piece.length, source.size - done))
      await reader.fill(chunk, init.signal)
      hasher.update(chunk)
      done += chunk.length
      init.onProgress?.({ type: 'plaintext:hashed', bytes: done, size: source.size })
    }
    await reader.end()
  } finally {
    await reader.close()
  }
  return hasher.digest()
}

/**
 * Encodes `source` into CHK shares written to `sink` (or a LIT cap for at most 55 bytes) and
 * returns the caps, storage index and UEB.
 */
export async function encodeChk(
  source: PlaintextSource,
  sink: ShareSink,
  init: ChkEncodeInit,
  components: ChkEncodeComponents = {},
): Promise<ImmutableEncodeResult> {
  const params = checkParams(init, source.size)
  const { signal } = init
  signal?.throwIfAborted()
  if (source.size <= LIT_MAX_SIZE) {
    const cap = createLitCap(await readAll(source, signal))
    return { kind: 'lit', cap, capString: formatLitCap(cap), size: source.size }
  }
  const { needed, total } = params
  const segmentSize = chkSegmentSize(source.size, needed, params.maxSegmentSize)
  const geometry = chkGeometry(source.size, needed, total, segmentSize)

  const readKey = await convergentKey(source, params, segmentSize, init)
  const storageIndex = storageIndexHash(readKey)

  const uebFields = {
    codecName: 'crs',
    codecParams: { segmentSize, needed, total },
    tailCodecParams: { segmentSize: geometry.paddedTailSize, needed, total },
    size: geometry.size,
    segmentSize,
    numSegments: geometry.numSegments,
    neededShares: needed,
    totalShares: total,
  }
  const layout = planShareLayout({
    blockSize: geometry.blockSize,
    dataSize: geometry.shareDataSize,
    numSegments: geometry.numSegments,
    numShareHashes: shareHashChainLength(total),
    uebSize: uriExtensionSize(uebFields),
    ...(init.shareDataVersion !== undefined ? { version: init.shareDataVersion } : {}),
  })
  const shareNumbers = Array.from({ length: total }, (_, i) => i)
  await sink.start?.(
    { storageIndex, shareSize: layout.totalSize, shareNumbers, needed, happy: params.happy, total },
    { signal },
  )

  const coder = (components.createCoder ?? createZfec)(needed, total)
  const header = encodeShareHeader(layout)
  const cipher = new AesCtrStream(readKey)
  const reader = new ExactReader(source)
  const fileHasher = crypttextHasher()
  const segmentHashes: Uint8Array[] = []
  const blockHashes: Uint8Array[][] = shareNumbers.map(() => [])

  /** Reads, encrypts and erasure-codes segment `segment`; returns its N blocks. */
  const encodeSegment = async (segment: number): Promise<Uint8Array[]> => {
    const isTail = segment === geometry.numSegments - 1
    const length = isTail ? geometry.tailSize : segmentSize
    const padded = new Uint8Array(isTail ? geometry.paddedTailSize : segmentSize)
    const crypttext = padded.subarray(0, length)
    await reader.fill(crypttext, signal)
    cipher.transformInPlace(crypttext)
    segmentHashes.push(crypttextSegmentHasher().update(crypttext).digest())
    fileHasher.update(crypttext)
    const blockSize = padded.length / needed
    const inputs = Array.from({ length: needed }, (_, i) =>
      padded.subarray(i * blockSize, (i + 1) * blockSize),
    )
    const blocks = coder.encode(inputs)
    blocks.forEach((block, shnum) => {
      blockHashes[shnum]!.push(blockHash(block))
    })
    return blocks
  }

  const writeSegment = async (segment: number, blocks: Uint8Array[]): Promise<void> => {
    const offset = layout.offsets.data + segment * geometry.blockSize
    await Promise.all(
      blocks.map((block, shnum) =>
        segment === 0
          ? sink.write(shnum, 0, concatBytes([header, block]), { signal })
          : sink.write(shnum, offset, block, { signal }),
      ),
    )
    const bytes = Math.min(geometry.size, (segment + 1) * segmentSize)
    init.onProgress?.({
      type: 'segment:written',
      segment,
      numSegments: geometry.numSegments,
      bytes,
      size: geometry.size,
    })
  }

  // one segment is encoded while the previous one is being written
  let pending: Promise<void> | undefined
  try {
    for (let segment = 0; segment < geometry.numSegments; segment++) {
      signal?.throwIfAborted()
      const blocks = await encodeSegment(segment)
      await pending
      pending = writeSegment(segment, blocks)
      // a rejection is observed by the await above or below; avoid an unhandled-rejection report meanwhile
      pending.catch(() => {})
    }
    await pending
    await reader.end()
  } finally {
    await pending?.catch(() => {})
    await reader.close()
  }
  signal?.throwIfAborted()

  const crypttextTree = new HashTree(segmentHashes)
  const blockTrees = blockHashes.map((hashes) => new HashTree(hashes))
  const shareTree = new HashTree(blockTrees.map((tree) => tree.root))
  const uriExtension: UriExtension = {
    ...uebFields,
    crypttextHash: fileHasher.digest(),
    crypttextRootHash: crypttextTree.root,
    shareRootHash: shareTree.root,
  }
  const uriExtensionBytes = encodeUriExtension(uriExtension)
  if (uriExtensionBytes.length !== layout.uebSize) {
    throw storageError('INVALID_FORMAT', 'internal: the UEB size differs from the planned one')
  }
  const uebRegion = encodeUebRegion(layout.version, uriExtensionBytes)
  const plaintextTreeRegion = new Uint8Array(layout.segmentHashesSize)
  const crypttextTreeRegion = crypttextTree.toBytes()
  await Promise.all(
    shareNumbers.map((shnum) =>
      sink.write(
        shnum,
        layout.offsets.plaintextHashTree,
        concatBytes([
          plaintextTreeRegion,
          crypttextTreeRegion,
          blockTrees[shnum]!.toBytes(),
          encodeShareHashChain(shareHashChain(shareTree, shnum)),
          uebRegion,
        ]),
        { signal },
      ),
    ),
  )
  await sink.finish?.({ signal })
  init.onProgress?.({ type: 'shares:finished', shareSize: layout.totalSize })

  const cap = createChkCap({
    readKey,
    uebHash: uriExtensionHash(uriExtensionBytes),
    needed,
    total,
    size: geometry.size,
  })
  const verifyCap = chkVerifyCapOf(cap)
  return {
    kind: 'chk',
    cap,
    capString: formatChkCap(cap),
    verifyCap,
    verifyCapString: formatChkVerifyCap(verifyCap),
    storageIndex,
    uriExtension,
    uriExtensionBytes,
    geometry,
    layout,
    size: geometry.size,
  }
}
