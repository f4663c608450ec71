/** A half-open byte range [begin, end). */
export interface ByteRange {
  begin: number
  end: number
}

/**
 * A set of byte positions kept as sorted, disjoint, non-adjacent half-open ranges: what an upload
 * has written so far (Tahoe keeps a RangeMap for the same purpose).
 */
export class RangeSet {
  #ranges: ByteRange[] = []

  /** Adds [begin, end), merging with overlapping or touching ranges. */
  add(begin: number, end: number): void {
    if (end <= begin) return
    const out: ByteRange[] = []
    let b = begin
    let e = end
    let placed = false
    for (const r of this.#ranges) {
      if (r.end < b) out.push(r)
      else if (r.begin > e) {
        if (!placed) {
          out.push({ begin: b, end: e })
          placed = true
        }
        out.push(r)
      } else {
        b = Math.min(b, r.begin)
        e = Math.max(e, r.end)
      }
    }
    if (!placed) out.push({ begin: b, end: e })
    this.#ranges = out
  }

  /** The parts of [begin, end) that are in the set, in order. */
  intersect(begin: number, end: number): ByteRange[] {
    const out: ByteRange[] = []
    for (const r of this.#ranges) {
      if (r.end <= begin) continue
      if (r.begin >= end) break
      out.push({ begin: Math.max(r.begin, begin), end: Math.min(r.end, end) })
    }
    return out
  }

  /** The parts of [begin, end) that are not in the set, in order. */
  missing(begin: number, end: number): ByteRange[] {
    const out: ByteRange[] = []
    let pos = begin
    for (const r of this.intersect(begin, end)) {
      if (r.begin > pos) out.push({ begin: pos, end: r.begin })
      pos = r.end
    }
    if (pos < end) out.push({ begin: pos, end })
    return out
  }

  /** Number of bytes in the set. */
  get size(): number {
    let total = 0
    for (const r of this.#ranges) total += r.end - r.begin
    return total
  }

  get ranges(): readonly ByteRange[] {
    return this.#ranges
  }
}
