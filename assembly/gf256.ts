// The WebAssembly SIMD kernel of the zfec coder (AssemblyScript; built by `npm run build:wasm` into
// build/wasm/gf256.wasm, loaded by src/storage/codec/wasm-kernel.ts).
//
// outputs[r] = Σ_c M[r][c] · inputs[c] over GF(2^8), with each coefficient given as two 16-byte
// tables: lo[x] = M[r][c] · x and hi[x] = M[r][c] · (x << 4), so that M[r][c] · s is
// lo[s & 15] ^ hi[s >> 4]; i8x16.swizzle looks up 16 bytes at a time.
//
// The caller lays the memory out: the tables (32 bytes per coefficient, row-major), the inputs and
// the outputs each `stride` bytes apart, and gives a length that is a multiple of 64. Rows are done
// in pairs, so that splitting each input vector into nibbles serves two outputs; an odd last row is
// done alone, 64 bytes at a time. Every output byte up to `length` is written (never read).

/**
 * tables: address of rows × cols coefficient tables; inputs/outputs: address of the first block;
 * stride: distance between blocks; length: bytes per block to compute, a multiple of 64.
 */
export function multiply(
  tables: usize,
  rows: u32,
  cols: u32,
  inputs: usize,
  outputs: usize,
  stride: usize,
  length: usize,
): void {
  const nibble = i8x16.splat(0x0f)
  const rowBytes = (<usize>cols) << 5
  let r: u32 = 0
  // two rows at a time, 32 bytes at a time
  for (; r + 1 < rows; r += 2) {
    const outA = outputs + <usize>r * stride
    const outB = outA + stride
    const tabA = tables + <usize>r * rowBytes
    for (let p: usize = 0; p < length; p += 32) {
      let a0 = i8x16.splat(0)
      let a1 = a0
      let b0 = a0
      let b1 = a0
      let src = inputs + p
      let table = tabA
      for (let c: u32 = 0; c < cols; c++) {
        const s0 = v128.load(src)
        const s1 = v128.load(src, 16)
        const l0 = v128.and(s0, nibble)
        const l1 = v128.and(s1, nibble)
        const h0 = i8x16.shr_u(s0, 4)
        const h1 = i8x16.shr_u(s1, 4)
        const loA = v128.load(table)
        const hiA = v128.load(table, 16)
        a0 = v128.xor(a0, v128.xor(i8x16.swizzle(loA, l0), i8x16.swizzle(hiA, h0)))
        a1 = v128.xor(a1, v128.xor(i8x16.swizzle(loA, l1), i8x16.swizzle(hiA, h1)))
        const loB = v128.load(table + rowBytes)
        const hiB = v128.load(table + rowBytes, 16)
        b0 = v128.xor(b0, v128.xor(i8x16.swizzle(loB, l0), i8x16.swizzle(hiB, h0)))
        b1 = v128.xor(b1, v128.xor(i8x16.swizzle(loB, l1), i8x16.swizzle(hiB, h1)))
        src += stride
        table += 32
      }
      v128.store(outA + p, a0)
      v128.store(outA + p, a1, 16)
      v128.store(outB + p, b0)
      v128.store(outB + p, b1, 16)
    }
  }
  // the last row of an odd count, 64 bytes at a time
  for (; r < rows; r++) {
    const out = outputs + <usize>r * stride
    const rowTables = tables + <usize>r * rowBytes
    for (let p: usize = 0; p < length; p += 64) {
      let a0 = i8x16.splat(0)
      let a1 = a0
      let a2 = a0
      let a3 = a0
      let src = inputs + p
      let table = rowTables
      for (let c: u32 = 0; c < cols; c++) {
        const lo = v128.load(table)
        const hi = v128.load(table, 16)
        const s0 = v128.load(src)
        const s1 = v128.load(src, 16)
        const s2 = v128.load(src, 32)
        const s3 = v128.load(src, 48)
        a0 = v128.xor(a0, times(lo, hi, s0, nibble))
        a1 = v128.xor(a1, times(lo, hi, s1, nibble))
        a2 = v128.xor(a2, times(lo, hi, s2, nibble))
        a3 = v128.xor(a3, times(lo, hi, s3, nibble))
        src += stride
        table += 32
      }
      v128.store(out + p, a0)
      v128.store(out + p, a1, 16)
      v128.store(out + p, a2, 32)
      v128.store(out + p, a3, 48)
    }
  }
}

/** c · s for 16 bytes s, given c's two nibble tables. */
function times(lo: v128, hi: v128, s: v128, nibble: v128): v128 {
  return v128.xor(i8x16.swizzle(lo, v128.and(s, nibble)), i8x16.swizzle(hi, i8x16.shr_u(s, 4)))
}
