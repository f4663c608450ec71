/**
 * A k-of-n erasure coder byte-compatible with zfec (Tahoe-LAFS): a systematic Reed-Solomon code over
 * GF(2^8). See docs/storage-codec.md.
 */

import { Buffer } from 'node:buffer'
import { CloudyError } from '../../util/errors.ts'
import type { CoefficientMatrix } from './gf-kernel.ts'
import { selectKernel } from './kernels.ts'
import { buildDecodeMatrix, buildEncodeMatrix } from './zfec-matrix.ts'

export interface ErasureCoder {
  readonly k: number
  readonly n: number
  /** k input blocks of equal length -> n blocks; blocks 0..k-1 are the inputs themselves (systematic) */
  encode(inputs: readonly Uint8Array[]): Uint8Array[]
  /** any k distinct blocks with their block numbers (0..n-1) -> the k input blocks, in order */
  decode(blocks: readonly Uint8Array[], blockNums: readonly number[]): Uint8Array[]
}

export interface ZfecCoder extends ErasureCoder {
  /** which kernel computes the products */
  readonly implementation: 'wasm' | 'js'
  /** A copy of the encoding matrix (n rows of k coefficients, row-major), as zfec's `fec_new` builds it. */
  readonly encodeMatrix: Uint8Array
  /**
   * Writes the n-k parity blocks (block numbers k..n-1) into `parity`, blocks the caller owns, each as
   * long as the inputs. Allocates nothing per call.
   */
  encodeInto(inputs: readonly Uint8Array[], parity: readonly Uint8Array[]): void
}

export interface ZfecOptions {
  /** 'wasm' (WebAssembly SIMD) or 'js' (portable); by default wasm when the runtime supports it. */
  implementation?: 'wasm' | 'js'
}

/** Decoding matrices kept per coder, keyed by the received block numbers. */
const DECODE_CACHE_SIZE = 32

/**
 * A zfec-compatible k-of-n coder (1 ≤ k ≤ n ≤ 256). `encode` returns the input arrays themselves as
 * blocks 0..k-1 and new arrays for k..n-1; `decode` returns received input blocks as given (the same
 * arrays) and new arrays for the ones it rebuilds.
 */
export function createZfec(k: number, n: number, options: ZfecOptions = {}): ZfecCoder {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 1 || n > 256 || k > n) {
    throw invalid(`zfec needs integers 1 ≤ k ≤ n ≤ 256, got k=${k}, n=${n}`, { k, n })
  }
  const implementation = options.implementation
  if (implementation !== undefined && implementation !== 'wasm' && implementation !== 'js') {
    throw invalid(`unknown zfec implementation ${String(implementation)}: use 'wasm' or 'js'`)
  }
  const kernel = selectKernel(implementation)
  const encodeMatrix = buildEncodeMatrix(k, n)
  const parityMatrix: CoefficientMatrix = {
    rows: n - k,
    cols: k,
    coefficients: encodeMatrix.subarray(k * k),
  }
  const decodeCache = new Map<string, { missing: number[]; matrix: CoefficientMatrix }>()

  function checkInputs(inputs: readonly Uint8Array[]): number {
    if (!Array.isArray(inputs) || inputs.length !== k) {
      throw invalid(`zfec ${k}-of-${n} encodes exactly ${k} input blocks, got ${describeCount(inputs)}`)
    }
    return checkBlocks(inputs, 'input')
  }

  function encodeInto(inputs: readonly Uint8Array[], parity: readonly Uint8Array[]): void {
    const length = checkInputs(inputs)
    if (!Array.isArray(parity) || parity.length !== n - k) {
      throw invalid(`zfec ${k}-of-${n} writes ${n - k} parity blocks, got ${describeCount(parity)}`)
    }
    for (const [i, block] of parity.entries()) {
      if (!(block instanceof Uint8Array) || block.length !== length) {
        throw invalid(`parity block ${i} must be a Uint8Array of ${length} bytes, like the inputs`)
      }
      if (inputs.some((input) => overlaps(input, block))) {
        throw invalid(`parity block ${i} overlaps an input block`)
      }
      if (parity.some((other, j) => j < i && overlaps(other, block))) {
        throw invalid(`parity block ${i} overlaps another parity block`)
      }
    }
    if (n > k) kernel.multiply(parityMatrix, inputs, parity, length)
  }

  function encode(inputs: readonly Uint8Array[]): Uint8Array[] {
    const length = checkInputs(inputs)
    const parity = Array.from({ length: n - k }, () => allocBlock(length))
    if (n > k) kernel.multiply(parityMatrix, inputs, parity, length)
    return [...inputs, ...parity]
  }

  function decodePlan(blockNums: readonly number[]): { missing: number[]; matrix: CoefficientMatrix } {
    const key = blockNums.join(',')
    const cached = decodeCache.get(key)
    if (cached) {
      decodeCache.delete(key) // re-insert: most recently used last
      decodeCache.set(key, cached)
      return cached
    }
    const inverse = buildDecodeMatrix(encodeMatrix, k, blockNums)
    if (!inverse) throw new CloudyError('INTERNAL', `zfec decoding matrix for blocks ${key} is singular`)
    const present = new Set(blockNums)
    const missing: number[] = []
    for (let r = 0; r < k; r++) if (!present.has(r)) missing.push(r)
    const coefficients = new Uint8Array(missing.length * k)
    for (const [i, r] of missing.entries()) coefficients.set(inverse.subarray(r * k, r * k + k), i * k)
    const plan = { missing, matrix: { rows: missing.length, cols: k, coefficients } }
    decodeCache.set(key, plan)
    if (decodeCache.size > DECODE_CACHE_SIZE) decodeCache.delete(decodeCache.keys().next().value!)
    return plan
  }

  function decode(blocks: readonly Uint8Array[], blockNums: readonly number[]): Uint8Array[] {
    if (!Array.isArray(blocks) || blocks.length !== k) {
      throw invalid(`zfec ${k}-of-${n} decodes from exactly ${k} blocks, got ${describeCount(blocks)}`)
    }
    if (!Array.isArray(blockNums) || blockNums.length !== k) {
      throw invalid(
        `zfec ${k}-of-${n} needs ${k} block numbers, one per block, got ${describeCount(blockNums)}`,
      )
    }
    const seen = new Set<number>()
    for (const num of blockNums) {
      if (!Number.isInteger(num) || num < 0 || num >= n) {
        throw invalid(`zfec ${k}-of-${n} block numbers are integers 0..${n - 1}, got ${String(num)}`)
      }
      if (seen.has(num))
        throw invalid(`zfec block number ${num} is given twice; the k blocks must be distinct`)
      seen.add(num)
    }
    const length = checkBlocks(blocks, 'block')
    const out = new Array<Uint8Array>(k)
    for (const [i, num] of blockNums.entries()) if (num < k) out[num] = blocks[i]!
    const { missing, matrix } = decodePlan(blockNums)
    if (missing.length > 0) {
      const rebuilt = missing.map(() => allocBlock(length))
      kernel.multiply(matrix, blocks, rebuilt, length)
      for (const [i, r] of missing.entries()) out[r] = rebuilt[i]!
    }
    return out
  }

  return {
    k,
    n,
    implementation: kernel.implementation,
    get encodeMatrix() {
      return encodeMatrix.slice() // a copy: the coder's own must not change
    },
    encode,
    encodeInto,
    decode,
  }
}

/** Checks that every block is a Uint8Array of one length, and returns it. */
function checkBlocks(blocks: readonly Uint8Array[], what: string): number {
  const first = blocks[0]
  if (!(first instanceof Uint8Array)) throw invalid(`zfec ${what} 0 is not a Uint8Array`)
  for (const [i, block] of blocks.entries()) {
    if (!(block instanceof Uint8Array)) throw invalid(`zfec ${what} ${i} is not a Uint8Array`)
    if (block.length !== first.length) {
      throw invalid(
        `zfec ${what}s must all have the same length: ${what} 0 has ${first.length} bytes, ${what} ${i} has ${block.length}`,
      )
    }
  }
  return first.length
}

/**
 * A block the kernel is about to overwrite in full: not zeroed first (that costs as much as a third
 * of a wasm encode), and a plain Uint8Array with a buffer of its own.
 */
function allocBlock(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length)
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length)
}

function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  )
}

function describeCount(value: unknown): string {
  return Array.isArray(value) ? String(value.length) : typeof value
}

function invalid(message: string, details?: Record<string, unknown>): CloudyError {
  return new CloudyError('INVALID_INPUT', message, details ? { details } : undefined)
}
