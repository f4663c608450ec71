import { HashTreeError, hashTreeSize, IncompleteHashTree } from '../crypto/hash-tree.ts'
import { blockHash, HASH_SIZE } from '../crypto/hashes.ts'
import type { ChkFileState } from './chk-file-state.ts'
import type { IoOptions, ShareSource } from './share-io.ts'
import {
  MAX_SHARE_HEADER_SIZE,
  parseShareHashChain,
  parseShareHeader,
  parseUebLength,
  SHARE_HASH_ENTRY_SIZE,
  type ShareHeader,
  uebLengthFieldSize,
} from './share-layout.ts'
import { type ShareCheckStage, ShareRejectedError } from './share-problem.ts'

/** Tahoe writes log2(N) + 1 <= 9 entries; anything far beyond is a corrupt header, not a reason to read megabytes. */
const MAX_SHARE_HASH_CHAIN_ENTRIES = 256

/** Runs of wanted hash indexes closer than this many hashes are fetched in one read. */
const MERGE_GAP = 8

/**
 * Reads one CHK share through a ShareSource and hands out only checked data: open() checks the
 * header, the UEB against the cap and the share hash chain against the share root; block() checks
 * each block against the block hash tree whose root open() established. Any failure is a
 * ShareRejectedError naming the stage; aborts propagate unchanged.
 */
export class ChkShareReader {
  readonly source: ShareSource
  readonly #file: ChkFileState
  readonly #options: IoOptions
  #header: ShareHeader | undefined
  #blockTree: IncompleteHashTree | undefined

  constructor(source: ShareSource, file: ChkFileState, options: IoOptions = {}) {
    this.source = source
    this.#file = file
    this.#options = options
  }

  get shnum(): number {
    return this.source.shnum
  }

  get header(): ShareHeader {
    if (!this.#header) throw new Error('share not opened')
    return this.#header
  }

  #reject(stage: ShareCheckStage, message: string, segment?: number): ShareRejectedError {
    return new ShareRejectedError(this.shnum, stage, message, segment)
  }

  /** Reads exactly `length` bytes or rejects the share. */
  async read(offset: number, length: number, stage: ShareCheckStage, segment?: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0)
    let bytes: Uint8Array
    try {
      bytes = await this.source.read(offset, length, this.#options)
    } catch (err) {
      this.#options.signal?.throwIfAborted()
      throw this.#reject(
        'read',
        `reading ${length} bytes at ${offset} failed: ${(err as Error).message}`,
        segment,
      )
    }
    this.#options.signal?.throwIfAborted()
    if (bytes.length !== length) {
      throw this.#reject(stage, `share too short: ${bytes.length} of ${length} bytes at ${offset}`, segment)
    }
    return bytes
  }

  /** Reads the header, UEB and share hash chain, and checks them. */
  async open(): Promise<void> {
    const { shnum } = this
    const file = this.#file
    if (!Number.isInteger(shnum) || shnum < 0 || shnum >= file.cap.total) {
      throw this.#reject('header', `share number ${shnum} is outside 0..${file.cap.total - 1}`)
    }
    let first: Uint8Array
    try {
      first = await this.source.read(0, MAX_SHARE_HEADER_SIZE, this.#options)
    } catch (err) {
      this.#options.signal?.throwIfAborted()
      throw this.#reject('read', `reading the share header failed: ${(err as Error).message}`)
    }
    let header: ShareHeader
    try {
      header = parseShareHeader(first)
    } catch (err) {
      throw this.#reject('header', (err as Error).message)
    }
    const { offsets } = header
    const fieldSize = uebLengthFieldSize(header.version)
    const chainBytes = offsets.uriExtension - offsets.shareHashes
    if (chainBytes > MAX_SHARE_HASH_CHAIN_ENTRIES * SHARE_HASH_ENTRY_SIZE) {
      throw this.#reject('header', `share hash chain of ${chainBytes} bytes is implausibly long`)
    }
    // the share hash chain and the UEB length are adjacent: one read
    const chainAndLength = await this.read(offsets.shareHashes, chainBytes + fieldSize, 'share-hashes')
    let uebLength: number
    try {
      uebLength = parseUebLength(header.version, chainAndLength.subarray(chainAndLength.length - fieldSize))
    } catch (err) {
      throw this.#reject('uri-extension', (err as Error).message)
    }
    const ueb = await this.read(offsets.uriExtension + fieldSize, uebLength, 'uri-extension')
    file.acceptUeb(ueb, shnum)
    const geometry = file.geometry

    const segmentTreeBytes = hashTreeSize(geometry.numSegments) * HASH_SIZE
    if (offsets.plaintextHashTree - offsets.data < geometry.shareDataSize) {
      throw this.#reject(
        'header',
        `data region of ${offsets.plaintextHashTree - offsets.data} bytes is too small`,
      )
    }
    if (offsets.blockHashes - offsets.crypttextHashTree < segmentTreeBytes) {
      throw this.#reject('header', 'crypttext hash tree region is too small for the number of segments')
    }
    if (offsets.shareHashes - offsets.blockHashes < segmentTreeBytes) {
      throw this.#reject('header', 'block hash tree region is too small for the number of segments')
    }

    let chain: Map<number, Uint8Array>
    try {
      chain = parseShareHashChain(chainAndLength.subarray(0, chainAndLength.length - fieldSize))
    } catch (err) {
      throw this.#reject('share-hashes', (err as Error).message)
    }
    try {
      file.shareTree.setHashes(chain)
    } catch (err) {
      if (!(err instanceof HashTreeError)) throw err
      throw this.#reject(
        'share-hashes',
        `share hash chain does not lead to the share root hash: ${err.message}`,
      )
    }
    const root = file.shareTree.leaf(shnum)
    if (root === undefined) throw this.#reject('share-hashes', "share hash chain lacks this share's own leaf")
    const blockTree = new IncompleteHashTree(geometry.numSegments)
    blockTree.setHashes(new Map([[0, root]]))
    this.#blockTree = blockTree
    this.#header = header
  }

  /** Reads hash tree nodes `indexes` from the region at `regionOffset`, merging nearby ones. */
  async #readNodes(
    regionOffset: number,
    indexes: readonly number[],
    stage: ShareCheckStage,
    segment: number,
  ): Promise<Map<number, Uint8Array>> {
    const sorted = [...indexes].sort((a, b) => a - b)
    const runs: [number, number][] = []
    for (const i of sorted) {
      const last = runs.at(-1)
      if (last && i - last[1] <= MERGE_GAP) last[1] = i
      else runs.push([i, i])
    }
    const nodes = new Map<number, Uint8Array>()
    await Promise.all(
      runs.map(async ([first, last]) => {
        const bytes = await this.read(
          regionOffset + first * HASH_SIZE,
          (last - first + 1) * HASH_SIZE,
          stage,
          segment,
        )
        for (const i of sorted) {
          if (i >= first && i <= last)
            nodes.set(i, bytes.subarray((i - first) * HASH_SIZE, (i - first + 1) * HASH_SIZE))
        }
      }),
    )
    return nodes
  }

  /** Block `segment` of this share, checked against the share's block hash tree. */
  async block(segment: number): Promise<Uint8Array> {
    const blockTree = this.#blockTree
    if (!blockTree || !this.#header) throw new Error('share not opened')
    const geometry = this.#file.geometry
    const isTail = segment === geometry.numSegments - 1
    const length = isTail ? geometry.tailBlockSize : geometry.blockSize
    const offset = this.#header.offsets.data + segment * geometry.blockSize
    const needed = blockTree.neededHashes(segment, true)
    const [nodes, block] = await Promise.all([
      this.#readNodes(this.#header.offsets.blockHashes, needed, 'block-hashes', segment),
      this.read(offset, length, 'block', segment),
    ])
    try {
      blockTree.setHashes(nodes)
    } catch (err) {
      if (!(err instanceof HashTreeError)) throw err
      throw this.#reject(
        'block-hashes',
        `block hashes do not lead to the block root: ${err.message}`,
        segment,
      )
    }
    try {
      blockTree.setHashes(undefined, new Map([[segment, blockHash(block)]]))
    } catch (err) {
      if (!(err instanceof HashTreeError)) throw err
      throw this.#reject('block', `block ${segment} does not match its hash`, segment)
    }
    return block
  }

  /**
   * Adds this share's copy of the crypttext hash tree nodes needed for segment `segment` (its leaf
   * included) to the file's crypttext tree, checked against the root from the UEB.
   */
  async crypttextHashes(segment: number): Promise<void> {
    if (!this.#header) throw new Error('share not opened')
    const tree = this.#file.crypttextTree
    const needed = tree.neededHashes(segment, true)
    if (needed.length === 0) return
    const nodes = await this.#readNodes(
      this.#header.offsets.crypttextHashTree,
      needed,
      'crypttext-hashes',
      segment,
    )
    try {
      tree.setHashes(nodes)
    } catch (err) {
      if (!(err instanceof HashTreeError)) throw err
      throw this.#reject(
        'crypttext-hashes',
        `crypttext hashes do not lead to the crypttext root: ${err.message}`,
        segment,
      )
    }
  }
}
