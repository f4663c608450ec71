import type { ChkCap } from '../caps/chk-cap.ts'
import { createZfec, type ErasureCoder } from '../codec/zfec.ts'
import { AesCtrStream } from '../crypto/aes-ctr.ts'
import { crypttextHasher, crypttextSegmentHasher, hashesEqual } from '../crypto/hashes.ts'
import { storageError } from '../util/storage-error.ts'
import { ChkFileState } from './chk-file-state.ts'
import { segmentRange } from './chk-geometry.ts'
import { ChkShareReader } from './chk-share-reader.ts'
import type { ShareSource } from './share-io.ts'
import { type ShareProblem, ShareRejectedError } from './share-problem.ts'

/**
 * CHK download (docs/storage-format.md): reads shares through ShareSources, checks every block
 * against its share's block hash tree and the share hash tree rooted in the UEB before using it,
 * erasure-decodes k blocks per segment, checks the ciphertext against the crypttext hash tree,
 * decrypts, and yields plaintext segment by segment. A share that fails a check is reported and
 * replaced by another source; with fewer than k good shares the download fails with
 * NOT_ENOUGH_SHARES. No byte is yielded before it has been verified.
 */
export interface ChkDecodeInit {
  /** plaintext byte range to return (default: the whole file); only the segments it touches are fetched */
  readonly range?: { readonly offset: number; readonly length?: number }
  readonly signal?: AbortSignal
  readonly onProgress?: (event: ChkDecodeProgress) => void
}

export interface ChkDecodeComponents {
  readonly createCoder?: (needed: number, total: number) => ErasureCoder
}

export type ChkDecodeProgress =
  | ({ readonly type: 'share:rejected' } & ShareProblem)
  | {
      readonly type: 'segment:decoded'
      readonly segment: number
      readonly numSegments: number
      /** plaintext bytes yielded so far */
      readonly bytes: number
    }

function checkRange(size: number, range: ChkDecodeInit['range']): { start: number; end: number } {
  const start = range?.offset ?? 0
  const length = range?.length ?? size - start
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(length) ||
    start < 0 ||
    length < 0 ||
    start + length > size
  ) {
    throw storageError('INVALID_FORMAT', `range ${start}+${length} is outside the file of ${size} bytes`, {
      offset: start,
      length,
      size,
    })
  }
  return { start, end: start + length }
}

/** The pool of sources and opened shares of one download. */
class SharePool {
  readonly #file: ChkFileState
  readonly #candidates: ShareSource[]
  readonly #active: ChkShareReader[] = []
  readonly #init: ChkDecodeInit
  readonly rejected: ShareProblem[] = []

  constructor(file: ChkFileState, sources: readonly ShareSource[], init: ChkDecodeInit) {
    this.#file = file
    this.#candidates = [...sources]
    this.#init = init
  }

  get active(): readonly ChkShareReader[] {
    return this.#active
  }

  reject(reader: ChkShareReader, err: ShareRejectedError): void {
    const index = this.#active.indexOf(reader)
    if (index >= 0) this.#active.splice(index, 1)
    const problem = err.toProblem(reader.source.name)
    this.rejected.push(problem)
    this.#init.onProgress?.({ type: 'share:rejected', ...problem })
  }

  /**
   * Up to `count` opened shares whose numbers are not in `exclude`, opening more sources (in the
   * order given) when the active ones do not suffice.
   */
  async select(count: number, exclude: ReadonlySet<number>): Promise<ChkShareReader[]> {
    for (;;) {
      const chosen: ChkShareReader[] = []
      const taken = new Set(exclude)
      for (const reader of this.#active) {
        if (chosen.length < count && !taken.has(reader.shnum)) {
          chosen.push(reader)
          taken.add(reader.shnum)
        }
      }
      if (chosen.length === count) return chosen
      const activeShnums = new Set(this.#active.map((reader) => reader.shnum))
      const opening: ShareSource[] = []
      for (let i = 0; i < this.#candidates.length && chosen.length + opening.length < count; ) {
        const source = this.#candidates[i]!
        if (taken.has(source.shnum) || activeShnums.has(source.shnum)) {
          i++
          continue
        }
        this.#candidates.splice(i, 1)
        opening.push(source)
        taken.add(source.shnum)
      }
      if (opening.length === 0) return chosen
      const readers = opening.map((source) => new ChkShareReader(source, this.#file, this.#init))
      const results = await Promise.allSettled(readers.map((reader) => reader.open()))
      results.forEach((result, i) => {
        const reader = readers[i]!
        if (result.status === 'fulfilled') this.#active.push(reader)
        else if (result.reason instanceof ShareRejectedError) this.reject(reader, result.reason)
      })
      const fatal = results.find(
        (result): result is PromiseRejectedResult =>
          result.status === 'rejected' && !(result.reason instanceof ShareRejectedError),
      )
      if (fatal) throw fatal.reason
    }
  }

  notEnough(have: number, segment?: number): Error {
    const { needed, total } = this.#file.cap
    const why =
      this.rejected.length > 0
        ? `; rejected: ${this.rejected.map((p) => `share ${p.shnum} (${p.stage}: ${p.message})`).join('; ')}`
        : ''
    return storageError(
      'NOT_ENOUGH_SHARES',
      `need ${needed} good shares of ${total}${segment !== undefined ? ` for segment ${segment}` : ''}, have ${have}${why}`,
      { needed, total, have, rejected: this.rejected, ...(segment !== undefined ? { segment } : {}) },
    )
  }
}

/**
 * Downloads the CHK file of `cap` from `sources` (at least k distinct share numbers for success;
 * extra sources, including a second copy of a share, are used as replacements). Yields verified
 * plaintext, one piece per segment.
 */
export async function* decodeChk(
  cap: ChkCap,
  sources: readonly ShareSource[],
  init: ChkDecodeInit = {},
  components: ChkDecodeComponents = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal } = init
  const { start, end } = checkRange(cap.size, init.range)
  signal?.throwIfAborted()
  if (start === end) return
  const file = new ChkFileState(cap)
  const pool = new SharePool(file, sources, init)
  const k = cap.needed

  const opened = await pool.select(k, new Set())
  if (!file.hasUeb) throw pool.notEnough(opened.length)
  const geometry = file.geometry
  const coder = (components.createCoder ?? createZfec)(k, cap.total)
  const firstSegment = Math.floor(start / geometry.segmentSize)
  const lastSegment = Math.floor((end - 1) / geometry.segmentSize)
  const wholeFile = start === 0 && end === cap.size
  const fileHasher = wholeFile ? crypttextHasher() : undefined
  let yielded = 0

  // the blocks of the next segment, fetched from the same shares while this one is decoded
  let ahead = new Map<unknown, Promise<Uint8Array>>()
  for (let segment = firstSegment; segment <= lastSegment; segment++) {
    signal?.throwIfAborted()
    const prefetched = ahead
    ahead = new Map()
    const blocks = new Map<number, Uint8Array>()
    const served: { block(segment: number): Promise<Uint8Array> }[] = []
    while (blocks.size < k) {
      const readers = await pool.select(k - blocks.size, new Set(blocks.keys()))
      if (readers.length === 0) throw pool.notEnough(blocks.size, segment)
      const results = await Promise.allSettled(
        readers.map((reader) => prefetched.get(reader) ?? reader.block(segment)),
      )
      results.forEach((result, i) => {
        const reader = readers[i]!
        if (result.status === 'fulfilled') {
          blocks.set(reader.shnum, result.value)
          served.push(reader)
        } else if (result.reason instanceof ShareRejectedError) pool.reject(reader, result.reason)
      })
      const fatal = results.find(
        (result): result is PromiseRejectedResult =>
          result.status === 'rejected' && !(result.reason instanceof ShareRejectedError),
      )
      if (fatal) throw fatal.reason
    }

    if (segment < lastSegment) {
      for (const reader of served) {
        const next = reader.block(segment + 1)
        next.catch(() => {}) // awaited (and its failure handled) with the next segment
        ahead.set(reader, next)
      }
    }

    const numbers = [...blocks.keys()]
    const pieces = coder.decode(
      numbers.map((n) => blocks.get(n)!),
      numbers,
    )
    const { start: segmentStart, end: segmentEnd } = segmentRange(geometry, segment)
    // a fresh buffer: decoding may hand back the source's own bytes, and decryption works in place
    const data = new Uint8Array(segmentEnd - segmentStart)
    let at = 0
    for (const piece of pieces) {
      const take = Math.min(piece.length, data.length - at)
      if (take <= 0) break
      data.set(piece.subarray(0, take), at)
      at += take
    }

    // the crypttext hash tree: from the first share whose copy checks out
    const crypttextTree = file.crypttextTree
    while (crypttextTree.leaf(segment) === undefined) {
      const [reader] = await pool.select(1, new Set())
      if (!reader) throw pool.notEnough(0, segment)
      try {
        await reader.crypttextHashes(segment)
      } catch (err) {
        if (!(err instanceof ShareRejectedError)) throw err
        pool.reject(reader, err)
      }
    }
    if (!hashesEqual(crypttextSegmentHasher().update(data).digest(), crypttextTree.leaf(segment)!)) {
      throw storageError(
        'CORRUPT_SHARE',
        `segment ${segment} decodes to ciphertext that does not match the crypttext hash tree: the shares were made inconsistently`,
        { segment },
      )
    }
    fileHasher?.update(data)

    new AesCtrStream(cap.readKey, segmentStart).transformInPlace(data)
    const piece = data.subarray(
      Math.max(start, segmentStart) - segmentStart,
      Math.min(end, segmentEnd) - segmentStart,
    )
    yielded += piece.length
    init.onProgress?.({ type: 'segment:decoded', segment, numSegments: geometry.numSegments, bytes: yielded })
    if (segment === lastSegment && fileHasher && !hashesEqual(fileHasher.digest(), file.ueb.crypttextHash)) {
      throw storageError('CORRUPT_SHARE', 'the ciphertext does not match the flat crypttext hash in the UEB')
    }
    yield piece
  }
}

/** Collects a whole download into one array (for small files and tests). */
export async function decodeChkToBytes(
  cap: ChkCap,
  sources: readonly ShareSource[],
  init: ChkDecodeInit = {},
  components: ChkDecodeComponents = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const part of decodeChk(cap, sources, init, components)) {
    parts.push(part)
    length += part.length
  }
  const out = new Uint8Array(length)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
