import { storageError } from './storage-error.ts'

/**
 * Netstrings (D. J. Bernstein): `<decimal length>:<bytes>,`. Tahoe wraps hash tags and hashed pairs
 * in them and stores the URI extension block values as netstrings (allmydata/util/netstring.py).
 */
const COLON = 0x3a
const COMMA = 0x2c
const encoder = new TextEncoder()

export function netstring(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? encoder.encode(value) : value
  const prefix = encoder.encode(`${bytes.length}:`)
  const out = new Uint8Array(prefix.length + bytes.length + 1)
  out.set(prefix, 0)
  out.set(bytes, prefix.length)
  out[out.length - 1] = COMMA
  return out
}

export interface NetstringRead {
  readonly value: Uint8Array
  /** index of the first byte after the trailing comma */
  readonly next: number
}

/**
 * Reads one netstring starting at `position`. The length must be canonical decimal (no sign, no
 * leading zeros except "0") and the value must be followed by a comma; otherwise INVALID_FORMAT.
 * The value is a view into `data`.
 */
export function readNetstring(data: Uint8Array, position = 0): NetstringRead {
  let i = position
  let length = 0
  while (i < data.length && data[i] !== COLON) {
    const digit = (data[i] ?? 0) - 0x30
    if (digit < 0 || digit > 9) {
      throw storageError('INVALID_FORMAT', `netstring at ${position}: length has a non-digit at ${i}`, {
        position: i,
      })
    }
    if (i > position && length === 0) {
      throw storageError('INVALID_FORMAT', `netstring at ${position}: length has a leading zero`, {
        position,
      })
    }
    length = length * 10 + digit
    if (length > Number.MAX_SAFE_INTEGER / 10) {
      throw storageError('INVALID_FORMAT', `netstring at ${position}: length too large`, { position })
    }
    i++
  }
  if (i >= data.length) {
    throw storageError('INVALID_FORMAT', `netstring at ${position}: no ':' after the length`, { position })
  }
  if (i === position) {
    throw storageError('INVALID_FORMAT', `netstring at ${position}: empty length`, { position })
  }
  const start = i + 1
  const end = start + length
  if (end >= data.length) {
    throw storageError(
      'INVALID_FORMAT',
      `netstring at ${position}: declares ${length} bytes but only ${Math.max(0, data.length - start)} follow`,
      { position, length },
    )
  }
  if (data[end] !== COMMA) {
    throw storageError('INVALID_FORMAT', `netstring at ${position}: missing ',' after ${length} bytes`, {
      position,
      length,
    })
  }
  return { value: data.subarray(start, end), next: end + 1 }
}

/**
 * Splits `data` into exactly `count` netstrings starting at `position`. With `requireEnd` the
 * netstrings must end exactly at the end of `data`.
 */
export function splitNetstrings(
  data: Uint8Array,
  count: number,
  options: { position?: number; requireEnd?: boolean } = {},
): { values: Uint8Array[]; next: number } {
  let next = options.position ?? 0
  const values: Uint8Array[] = []
  for (let n = 0; n < count; n++) {
    if (next >= data.length) {
      throw storageError('INVALID_FORMAT', `expected ${count} netstrings, found ${n}`, { count, found: n })
    }
    const read = readNetstring(data, next)
    values.push(read.value)
    next = read.next
  }
  if (options.requireEnd && next !== data.length) {
    throw storageError('INVALID_FORMAT', `${data.length - next} bytes left after ${count} netstrings`, {
      leftover: data.length - next,
    })
  }
  return { values, next }
}
