/** Deterministic data and subsets for the erasure-coder tests. */

/** A seeded generator of 32-bit values (mulberry32): the same seed gives the same data everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** An integer in [min, max]. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + (random() % (max - min + 1))
}

export function randomBytes(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = random() & 0xff
  return out
}

export function randomBlocks(random: () => number, count: number, length: number): Uint8Array[] {
  return Array.from({ length: count }, () => randomBytes(random, length))
}

/** Every k-element subset of 0..n-1, in lexicographic order. */
export function* combinations(n: number, k: number): Generator<number[]> {
  const pick = Array.from({ length: k }, (_, i) => i)
  while (true) {
    yield [...pick]
    let i = k - 1
    while (i >= 0 && pick[i] === n - k + i) i--
    if (i < 0) return
    pick[i]!++
    for (let j = i + 1; j < k; j++) pick[j] = pick[j - 1]! + 1
  }
}

/** k distinct block numbers from 0..n-1, in random order. */
export function randomSubset(random: () => number, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i)
  for (let i = 0; i < k; i++) {
    const j = randomInt(random, i, n - 1)
    ;[all[i], all[j]] = [all[j]!, all[i]!]
  }
  return all.slice(0, k)
}

/** Byte equality that stays fast for large blocks (toEqual on big arrays is slow). */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}
