import { base32Decode, base32Length } from '../util/base32.ts'
import { storageError } from '../util/storage-error.ts'

/**
 * Field parsing shared by the cap parsers. Errors name the cap kind and the field, never the cap
 * text itself: a read cap is a secret and must not end up in logs.
 */

/** Splits `text` after `prefix` into exactly `names.length` colon-separated fields. */
export function splitCapFields(text: string, prefix: string, names: readonly string[]): string[] {
  if (!text.startsWith(prefix)) {
    throw storageError('INVALID_CAP', `not a ${prefix} cap`, { expected: prefix })
  }
  const fields = text.slice(prefix.length).split(':')
  if (fields.length !== names.length) {
    throw storageError(
      'INVALID_CAP',
      `${prefix} cap has ${fields.length} field(s) after the prefix, expected ${names.length} (${names.join(':')})`,
      { expected: prefix, fields: fields.length },
    )
  }
  return fields
}

/** A base32 field that must hold exactly `bytes` bytes. */
export function decodeCapBytes(prefix: string, name: string, field: string, bytes: number): Uint8Array {
  try {
    return base32Decode(field, bytes)
  } catch (err) {
    throw storageError(
      'INVALID_CAP',
      `${prefix} cap: the ${name} must be ${base32Length(bytes)} base32 characters (${bytes} bytes): ${(err as Error).message}`,
      { expected: prefix, field: name },
      err,
    )
  }
}

/** A canonical non-negative decimal integer field within [min, max]. */
export function decodeCapNumber(
  prefix: string,
  name: string,
  field: string,
  min: number,
  max: number,
): number {
  if (!/^(0|[1-9][0-9]*)$/.test(field)) {
    throw storageError(
      'INVALID_CAP',
      `${prefix} cap: ${name} must be a decimal number without leading zeros`,
      {
        expected: prefix,
        field: name,
      },
    )
  }
  const value = Number(field)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw storageError('INVALID_CAP', `${prefix} cap: ${name} ${field} is outside ${min}..${max}`, {
      expected: prefix,
      field: name,
    })
  }
  return value
}

/** The k, N and size fields of CHK caps: 1 <= k <= N <= 256, size a safe integer. */
export function decodeShareCounts(
  prefix: string,
  fields: { needed: string; total: string; size: string },
): { needed: number; total: number; size: number } {
  const needed = decodeCapNumber(prefix, 'needed shares (k)', fields.needed, 1, 256)
  const total = decodeCapNumber(prefix, 'total shares (N)', fields.total, 1, 256)
  if (needed > total) {
    throw storageError('INVALID_CAP', `${prefix} cap: needed shares ${needed} exceed total shares ${total}`, {
      expected: prefix,
      field: 'needed shares (k)',
    })
  }
  const size = decodeCapNumber(prefix, 'size', fields.size, 0, Number.MAX_SAFE_INTEGER)
  return { needed, total, size }
}

export function checkShareCounts(kind: string, needed: number, total: number, size: number): void {
  if (!Number.isInteger(needed) || !Number.isInteger(total) || needed < 1 || needed > total || total > 256) {
    throw storageError('INVALID_CAP', `${kind}: needs 1 <= k <= N <= 256, got k=${needed} N=${total}`)
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw storageError('INVALID_CAP', `${kind}: size must be a non-negative safe integer, got ${size}`)
  }
}

export function checkLength(kind: string, name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw storageError('INVALID_CAP', `${kind}: ${name} must be ${length} bytes, got ${bytes.length}`)
  }
}
