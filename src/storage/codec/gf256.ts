/**
 * Arithmetic in GF(2^8) as zfec (Rizzo's fec.c) defines it: the primitive polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11d), with α = x as the generator. Addition is xor.
 */

/** The reduction polynomial without its x^8 term. */
const POLY_LOW = 0x1d

/** EXP[i] = α^i for 0 ≤ i < 510 (doubled so that EXP[log a + log b] needs no reduction). */
export const EXP: Uint8Array = new Uint8Array(510)
/** LOG[α^i] = i; LOG[0] is 255 (undefined, as in zfec). */
export const LOG: Uint8Array = new Uint8Array(256)
/** INVERSE[a] · a = 1; INVERSE[0] is 0. */
export const INVERSE: Uint8Array = new Uint8Array(256)
/** MUL[a * 256 + b] = a · b. */
export const MUL: Uint8Array = new Uint8Array(256 * 256)

{
  let x = 1
  for (let i = 0; i < 255; i++) {
    EXP[i] = x
    EXP[i + 255] = x
    LOG[x] = i
    x = x & 0x80 ? ((x << 1) & 0xff) ^ POLY_LOW : x << 1
  }
  LOG[0] = 255
  INVERSE[1] = 1
  for (let a = 2; a < 256; a++) INVERSE[a] = EXP[255 - LOG[a]!]!
  for (let a = 1; a < 256; a++) {
    const la = LOG[a]!
    for (let b = 1; b < 256; b++) MUL[a * 256 + b] = EXP[la + LOG[b]!]!
  }
}

export function gfMul(a: number, b: number): number {
  return MUL[(a << 8) | b]!
}

/** α^e for any e ≥ 0. */
export function gfPow(e: number): number {
  return EXP[e % 255]!
}

/** The 256 products c · x for x = 0..255 (a view, do not write). */
export function mulRow(c: number): Uint8Array {
  return MUL.subarray(c << 8, (c << 8) + 256)
}

/**
 * The split-nibble tables of `count` coefficients, 32 bytes each: c · x for x = 0..15, then
 * c · (x << 4) for x = 0..15, so that c · s = lo[s & 15] ^ hi[s >> 4].
 */
export function nibbleTables(coefficients: Uint8Array, count: number): Uint8Array {
  const tables = new Uint8Array(count * 32)
  for (let i = 0; i < count; i++) {
    const times = mulRow(coefficients[i]!)
    for (let x = 0; x < 16; x++) {
      tables[i * 32 + x] = times[x]!
      tables[i * 32 + 16 + x] = times[x << 4]!
    }
  }
  return tables
}
