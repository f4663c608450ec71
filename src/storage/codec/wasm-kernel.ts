/**
 * The WebAssembly SIMD kernel (source: assembly/gf256.ts, built into build/wasm/ by
 * `npm run build:wasm`). Blocks are copied through one WebAssembly memory in chunks small enough to
 * stay in cache; the memory grows to the largest chunk layout needed and is then reused.
 */

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { CoefficientMatrix, GfKernel } from './gf-kernel.ts'
import { nibbleTables } from './gf256.ts'

/** Three levels below the repository root both as src/storage/codec/*.ts and dist/storage/codec/*.js. */
export const WASM_URL = new URL('../../../build/wasm/gf256.wasm', import.meta.url)

/** Bytes of input and output blocks per chunk: their sum stays within this, to stay in cache. */
const CHUNK_BUDGET = 256 * 1024
/** The kernel works on 64 bytes at a time. */
const VECTOR = 64
const PAGE = 65536

/** The smallest module using i8x16.swizzle: validates only where WebAssembly SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type: () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // one function of that type
  0x0a,
  0x2a,
  0x01,
  0x28,
  0x00, // code: one body of 40 bytes, no locals
  0xfd,
  0x0c,
  ...new Array<number>(16).fill(0), // v128.const 0
  0xfd,
  0x0c,
  ...new Array<number>(16).fill(0), // v128.const 0
  0xfd,
  0x0e, // i8x16.swizzle
  0x0b, // end
])

export function simdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE)
}

type MultiplyExport = (
  tables: number,
  rows: number,
  cols: number,
  inputs: number,
  outputs: number,
  stride: number,
  length: number,
) => void

/** Loads the kernel; throws an Error saying why when it cannot. */
export function loadWasmKernel(): GfKernel {
  if (!simdSupported()) throw new Error('this runtime does not support WebAssembly SIMD')
  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = new Uint8Array(readFileSync(fileURLToPath(WASM_URL)))
  } catch (err) {
    throw new Error(`cannot read ${fileURLToPath(WASM_URL)}: run \`npm run build:wasm\``, { cause: err })
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
  const memory = instance.exports.memory as WebAssembly.Memory
  const multiplyExport = instance.exports.multiply as MultiplyExport
  let view = new Uint8Array(memory.buffer)
  /** the matrix whose tables are at address 0 */
  let loaded: CoefficientMatrix | undefined
  const tablesOf = new WeakMap<CoefficientMatrix, Uint8Array>()

  function ensureMemory(bytes: number): void {
    if (memory.buffer.byteLength >= bytes) return
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE))
    view = new Uint8Array(memory.buffer)
  }

  function multiply(
    matrix: CoefficientMatrix,
    inputs: readonly Uint8Array[],
    outputs: readonly Uint8Array[],
    length: number,
  ): void {
    const { rows, cols } = matrix
    if (rows === 0 || length === 0) return
    let tables = tablesOf.get(matrix)
    if (!tables) {
      tables = nibbleTables(matrix.coefficients, rows * cols)
      tablesOf.set(matrix, tables)
    }
    const tablesSize = roundUp(tables.length, VECTOR)
    const perBlock = Math.max(1024, Math.floor(CHUNK_BUDGET / (rows + cols)))
    const stride = Math.min(roundUp(length, VECTOR), roundDown(perBlock, VECTOR))
    const inBase = tablesSize
    const outBase = inBase + cols * stride
    ensureMemory(outBase + rows * stride)
    if (loaded !== matrix) {
      view.set(tables, 0)
      loaded = matrix
    }
    for (let start = 0; start < length; start += stride) {
      const len = Math.min(stride, length - start)
      for (let c = 0; c < cols; c++) view.set(inputs[c]!.subarray(start, start + len), inBase + c * stride)
      multiplyExport(0, rows, cols, inBase, outBase, stride, roundUp(len, VECTOR))
      for (let r = 0; r < rows; r++) {
        const at = outBase + r * stride
        outputs[r]!.set(view.subarray(at, at + len), start)
      }
    }
  }

  return { implementation: 'wasm', multiply, memoryBytes: () => memory.buffer.byteLength }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to
}

function roundDown(x: number, to: number): number {
  return Math.floor(x / to) * to
}
