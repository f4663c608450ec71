/** The portable kernel: one 256-entry product table per coefficient, a byte at a time. */

import type { CoefficientMatrix, GfKernel } from './gf-kernel.ts'
import { mulRow } from './gf256.ts'

/** Bytes of each block handled per pass, so that the blocks of one pass stay in cache. */
const STRIDE = 16 * 1024

export const jsKernel: GfKernel = {
  implementation: 'js',
  multiply(matrix: CoefficientMatrix, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], length) {
    const { rows, cols, coefficients } = matrix
    for (let start = 0; start < length; start += STRIDE) {
      const end = Math.min(length, start + STRIDE)
      for (let r = 0; r < rows; r++) {
        const out = outputs[r]!
        let first = true
        for (let c = 0; c < cols; c++) {
          const coef = coefficients[r * cols + c]!
          if (coef === 0) continue
          const src = inputs[c]!
          if (coef === 1) {
            if (first) out.set(src.subarray(start, end), start)
            else for (let i = start; i < end; i++) out[i]! ^= src[i]!
          } else {
            const times = mulRow(coef)
            if (first) for (let i = start; i < end; i++) out[i] = times[src[i]!]!
            else for (let i = start; i < end; i++) out[i]! ^= times[src[i]!]!
          }
          first = false
        }
        if (first) out.fill(0, start, end)
      }
    }
  },
}
