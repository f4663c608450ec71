/**
 * The order in which CPython 3 (3.7 to 3.13) iterates a `set` of small non-negative integers built by
 * adding `values` one after another. Tahoe-LAFS writes the share hash chain of each share in the
 * iteration order of such a set (encode.py: `t.needed_hashes(i, include_leaf=True)`), so an encoder
 * that must produce Tahoe's exact bytes has to reproduce it. For a non-negative int below 2^61-1,
 * hash(i) == i; the table starts with 8 slots, probes 9 slots linearly and then jumps by
 * `i = (5i + 1 + perturb) & mask` with `perturb >>= 5`, and grows to the next power of two above
 * 4 * used when fill * 5 >= mask * 3, reinserting in table order.
 */
const MIN_SIZE = 8
const LINEAR_PROBES = 9
const PERTURB_SHIFT = 5

function insertClean(table: (number | undefined)[], value: number): void {
  const mask = table.length - 1
  let perturb = value
  let i = value & mask
  for (;;) {
    const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0
    for (let j = 0; j <= probes; j++) {
      if (table[i + j] === undefined) {
        table[i + j] = value
        return
      }
    }
    perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT)
    i = (i * 5 + 1 + perturb) & mask
  }
}

function contains(table: (number | undefined)[], value: number): boolean {
  const mask = table.length - 1
  let perturb = value
  let i = value & mask
  for (;;) {
    const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0
    for (let j = 0; j <= probes; j++) {
      const entry = table[i + j]
      if (entry === undefined) return false
      if (entry === value) return true
    }
    perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT)
    i = (i * 5 + 1 + perturb) & mask
  }
}

export function pythonSetOrder(values: readonly number[]): number[] {
  let table: (number | undefined)[] = new Array(MIN_SIZE).fill(undefined)
  let used = 0
  for (const value of values) {
    if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** 31) {
      throw new RangeError(`pythonSetOrder handles small non-negative integers, got ${value}`)
    }
    if (contains(table, value)) continue
    insertClean(table, value)
    used++
    const mask = table.length - 1
    if (used * 5 >= mask * 3) {
      let size = MIN_SIZE
      while (size <= used * 4) size *= 2
      const old = table
      table = new Array(size).fill(undefined)
      for (const entry of old) if (entry !== undefined) insertClean(table, entry)
    }
  }
  return table.filter((entry): entry is number => entry !== undefined)
}
