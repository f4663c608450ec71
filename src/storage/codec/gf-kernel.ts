/**
 * The one hot loop of erasure coding: multiply a small GF(2^8) matrix by a set of equal-length byte
 * blocks. Both the encoder (parity = bottom rows of the encoding matrix × inputs) and the decoder
 * (missing inputs = rows of the inverse × received blocks) are this product.
 */

/** An r×k coefficient matrix (row-major) ready for repeated products. */
export interface CoefficientMatrix {
  readonly rows: number
  readonly cols: number
  readonly coefficients: Uint8Array
}

export interface GfKernel {
  readonly implementation: 'wasm' | 'js'
  /**
   * outputs[i][0..length) = Σ_j M[i][j] · inputs[j][0..length) for every row i of M. Inputs and outputs
   * must not overlap; every block must hold at least `length` bytes.
   */
  multiply(
    matrix: CoefficientMatrix,
    inputs: readonly Uint8Array[],
    outputs: readonly Uint8Array[],
    length: number,
  ): void
  /** Bytes of working memory the kernel holds between calls (the WebAssembly memory), if any. */
  memoryBytes?(): number
}
