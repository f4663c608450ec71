/**
 * The coding matrices of zfec. Matrices are row-major Uint8Arrays of GF(2^8) elements.
 *
 * The encoding matrix (n rows, k columns) starts from a Vandermonde matrix over the evaluation points
 * 0, α^0, α^1, …, α^(n-2): row 0 is (1, 0, …, 0) and row r ≥ 1 is (α^((r-1)·c)) for column c. Its top
 * k×k square is inverted and the whole matrix multiplied by that inverse on the right, so the top
 * becomes the identity (the code is systematic) and block r ≥ k is Σ_c E[r][c] · input[c].
 */

import { gfMul, gfPow, INVERSE, mulRow } from './gf256.ts'

/** The n×k systematic encoding matrix, byte for byte the `enc_matrix` of zfec's `fec_new(k, n)`. */
export function buildEncodeMatrix(k: number, n: number): Uint8Array {
  const vdm = new Uint8Array(n * k)
  vdm[0] = 1
  for (let r = 1; r < n; r++) {
    for (let c = 0; c < k; c++) vdm[r * k + c] = gfPow((r - 1) * c)
  }
  const top = vdm.slice(0, k * k)
  invertVandermonde(top, k)
  const enc = new Uint8Array(n * k)
  for (let i = 0; i < k; i++) enc[i * k + i] = 1
  // bottom rows: vdm[k..n) × top⁻¹
  for (let r = k; r < n; r++) {
    for (let c = 0; c < k; c++) {
      let acc = 0
      for (let i = 0; i < k; i++) acc ^= gfMul(vdm[r * k + i]!, top[i * k + c]!)
      enc[r * k + c] = acc
    }
  }
  return enc
}

/**
 * Inverts in place a k×k Vandermonde matrix whose row i is (p_i^0, p_i^1, …): only its second column
 * (the points p_i) is read. Uses the coefficients of P(x) = Π (x - p_i) and synthetic division by
 * (x - p_i): the i-th column of the inverse is the quotient P(x)/(x - p_i) scaled by 1/P'(p_i).
 */
export function invertVandermonde(m: Uint8Array, k: number): void {
  if (k === 1) return // [1] is its own inverse
  const p = new Uint8Array(k)
  for (let i = 0; i < k; i++) p[i] = m[i * k + 1]!
  // coef[j] is the coefficient of x^j in P(x); the leading coefficient (of x^k) is 1 and implicit
  const coef = new Uint8Array(k)
  coef[k - 1] = p[0]! // minus equals plus in characteristic 2
  for (let i = 1; i < k; i++) {
    const pi = p[i]!
    for (let j = k - i; j < k - 1; j++) coef[j]! ^= gfMul(pi, coef[j + 1]!)
    coef[k - 1]! ^= pi
  }
  const quotient = new Uint8Array(k)
  for (let row = 0; row < k; row++) {
    const x = p[row]!
    let t = 1 // accumulates P'(x) by Horner's rule alongside the quotient
    quotient[k - 1] = 1
    for (let i = k - 1; i > 0; i--) {
      quotient[i - 1] = coef[i]! ^ gfMul(x, quotient[i]!)
      t = gfMul(x, t) ^ quotient[i - 1]!
    }
    const scale = INVERSE[t]!
    for (let col = 0; col < k; col++) m[col * k + row] = gfMul(scale, quotient[col]!)
  }
}

/**
 * The inverse of a k×k matrix by Gauss-Jordan elimination, or undefined when it is singular.
 * The inverse is unique, so any correct method gives zfec's decoding matrix.
 */
export function invertMatrix(matrix: Uint8Array, k: number): Uint8Array | undefined {
  const a = matrix.slice(0, k * k)
  const inv = new Uint8Array(k * k)
  for (let i = 0; i < k; i++) inv[i * k + i] = 1
  for (let col = 0; col < k; col++) {
    let pivot = col
    while (pivot < k && a[pivot * k + col] === 0) pivot++
    if (pivot === k) return undefined
    if (pivot !== col) {
      swapRows(a, k, pivot, col)
      swapRows(inv, k, pivot, col)
    }
    const scale = mulRow(INVERSE[a[col * k + col]!]!)
    scaleRow(a, k, col, scale)
    scaleRow(inv, k, col, scale)
    for (let r = 0; r < k; r++) {
      const c = a[r * k + col]!
      if (r === col || c === 0) continue
      const times = mulRow(c)
      addScaledRow(a, k, r, col, times)
      addScaledRow(inv, k, r, col, times)
    }
  }
  return inv
}

function swapRows(m: Uint8Array, k: number, r1: number, r2: number): void {
  const tmp = m.slice(r1 * k, r1 * k + k)
  m.copyWithin(r1 * k, r2 * k, r2 * k + k)
  m.set(tmp, r2 * k)
}

function scaleRow(m: Uint8Array, k: number, r: number, times: Uint8Array): void {
  for (let c = r * k; c < r * k + k; c++) m[c] = times[m[c]!]!
}

/** row dst += times · row src */
function addScaledRow(m: Uint8Array, k: number, dst: number, src: number, times: Uint8Array): void {
  for (let c = 0; c < k; c++) m[dst * k + c]! ^= times[m[src * k + c]!]!
}

/**
 * The rows of the decoding matrix: given the block numbers of k received blocks, the k×k matrix D with
 * input[r] = Σ_i D[r][i] · received[i]; undefined if the blocks cannot be decoded (never for distinct
 * block numbers, as every k rows of the encoding matrix are independent).
 */
export function buildDecodeMatrix(
  encodeMatrix: Uint8Array,
  k: number,
  blockNums: readonly number[],
): Uint8Array | undefined {
  const rows = new Uint8Array(k * k)
  for (let i = 0; i < k; i++) {
    const num = blockNums[i]!
    rows.set(encodeMatrix.subarray(num * k, num * k + k), i * k)
  }
  return invertMatrix(rows, k)
}
