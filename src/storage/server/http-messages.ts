import { HttpError } from './http-error.ts'
import { MAX_SHARE_NUMBER } from './storage-index.ts'
import type {
  AllocateResult,
  ByteRange,
  ReadTestWriteResult,
  ReadVector,
  StorageVersion,
  TestWriteVectors,
} from './types.ts'

/**
 * The protocol's request messages, checked against the spec's CDDL schemas (closed maps: unknown
 * or missing keys are 400, as with Tahoe's pycddl validation), and its response messages. Values
 * come from CBOR (Maps, Sets, Uint8Array) or JSON (objects, arrays, base64 strings).
 */
export const VERSION_V1_KEY = 'http://allmydata.org/tahoe/protocols/storage/v1'
const MAX_VECTORS = 30
const MAX_SHARES = 256
const MAX_REASON_BYTES = 32765

const bad = (message: string) => new HttpError(400, message)
const text = (s: string) => Buffer.from(s, 'utf8')

function fields(value: unknown, where: string, keys: readonly string[]): Map<string, unknown> {
  const entries =
    value instanceof Map
      ? [...value]
      : value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)
        ? Object.entries(value)
        : undefined
  if (entries === undefined) throw bad(`${where} must be a map`)
  const out = new Map<string, unknown>()
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || !keys.includes(k)) throw bad(`${where} has an unexpected key`)
    out.set(k, v)
  }
  for (const k of keys) if (!out.has(k)) throw bad(`${where} lacks "${k}"`)
  return out
}

function uint(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  throw bad(`${where} must be an unsigned integer below 2^53`)
}

function bytes(value: unknown, where: string, json: boolean): Uint8Array {
  if (value instanceof Uint8Array && !json) return value
  if (json && typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0) {
    return Buffer.from(value, 'base64')
  }
  throw bad(`${where} must be a byte string${json ? ' (base64 in JSON)' : ''}`)
}

function list(value: unknown, where: string, max = Number.POSITIVE_INFINITY): unknown[] {
  if (!Array.isArray(value)) throw bad(`${where} must be an array`)
  if (value.length > max) throw bad(`${where} has more than ${max} items`)
  return value
}

function shareNumber(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^(0|[1-9][0-9]*)$/.test(value) ? Number(value) : value
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_SHARE_NUMBER) return n
  throw bad(`${where} must be a share number (0 to ${MAX_SHARE_NUMBER})`)
}

/** `{share-numbers: #6.258([0*256 uint]), allocated-size: uint}` (a plain array is accepted too). */
export function parseAllocateRequest(value: unknown): { shareNumbers: number[]; allocatedSize: number } {
  const f = fields(value, 'the allocation', ['share-numbers', 'allocated-size'])
  const raw = f.get('share-numbers')
  const items = raw instanceof Set ? [...raw] : list(raw, 'share-numbers', MAX_SHARES)
  if (items.length > MAX_SHARES) throw bad(`share-numbers has more than ${MAX_SHARES} items`)
  const shareNumbers = items.map((n) => {
    if (typeof n !== 'number') throw bad('share-numbers must hold share numbers')
    return shareNumber(n, 'a share number')
  })
  const allocatedSize = uint(f.get('allocated-size'), 'allocated-size')
  if (allocatedSize === 0) throw bad('allocated-size must be positive')
  return { shareNumbers, allocatedSize }
}

/** `{reason: tstr .size (1..32765)}` */
export function parseCorruptionReport(value: unknown): string {
  const reason = fields(value, 'the report', ['reason']).get('reason')
  if (typeof reason !== 'string') throw bad('reason must be text')
  const size = Buffer.byteLength(reason)
  if (size < 1 || size > MAX_REASON_BYTES) throw bad(`reason must be 1 to ${MAX_REASON_BYTES} bytes`)
  return reason
}

/** The read-test-write request (spec's CDDL: up to 256 shares, 30 tests, 30 reads). */
export function parseReadTestWrite(
  value: unknown,
  json: boolean,
): { vectors: Map<number, TestWriteVectors>; readVector: ReadVector[] } {
  const f = fields(value, 'the request', ['test-write-vectors', 'read-vector'])
  const twv = f.get('test-write-vectors')
  const entries =
    twv instanceof Map
      ? [...twv]
      : twv !== null && typeof twv === 'object' && !Array.isArray(twv) && !(twv instanceof Uint8Array)
        ? Object.entries(twv)
        : undefined
  if (entries === undefined) throw bad('test-write-vectors must be a map')
  if (entries.length > MAX_SHARES) throw bad(`test-write-vectors has more than ${MAX_SHARES} shares`)
  const vectors = new Map<number, TestWriteVectors>()
  for (const [k, v] of entries) {
    if (!json && typeof k !== 'number') throw bad('test-write-vectors keys must be share numbers')
    const n = shareNumber(k, 'a test-write-vectors key')
    const sv = fields(v, `share ${n}`, ['test', 'write', 'new-length'])
    const test = list(sv.get('test'), 'test', MAX_VECTORS).map((t) => {
      const tf = fields(t, 'a test vector', ['offset', 'size', 'specimen'])
      return {
        offset: uint(tf.get('offset'), 'offset'),
        size: uint(tf.get('size'), 'size'),
        specimen: bytes(tf.get('specimen'), 'specimen', json),
      }
    })
    const write = list(sv.get('write'), 'write').map((w) => {
      const wf = fields(w, 'a write vector', ['offset', 'data'])
      return { offset: uint(wf.get('offset'), 'offset'), data: bytes(wf.get('data'), 'data', json) }
    })
    const nl = sv.get('new-length')
    vectors.set(n, { test, write, newLength: nl === null ? null : uint(nl, 'new-length') })
  }
  const readVector = list(f.get('read-vector'), 'read-vector', MAX_VECTORS).map((r) => {
    const rf = fields(r, 'a read vector', ['offset', 'size'])
    return { offset: uint(rf.get('offset'), 'offset'), size: uint(rf.get('size'), 'size') }
  })
  return { vectors, readVector }
}

/** The version message, with byte-string keys like Tahoe's. */
export function versionMessage(v: StorageVersion): Map<Uint8Array, unknown> {
  return new Map<Uint8Array, unknown>([
    [
      text(VERSION_V1_KEY),
      new Map<Uint8Array, bigint>([
        [text('maximum-immutable-share-size'), BigInt(v.maximumImmutableShareSize)],
        [text('maximum-mutable-share-size'), v.maximumMutableShareSize],
        [text('available-space'), BigInt(v.availableSpace)],
      ]),
    ],
    [text('application-version'), text(v.applicationVersion)],
  ])
}

export function allocateMessage(r: AllocateResult): Map<string, Set<number>> {
  return new Map([
    ['already-have', new Set(r.alreadyHave)],
    ['allocated', new Set(r.allocated)],
  ])
}

export function requiredMessage(required: readonly ByteRange[]): Map<string, unknown> {
  return new Map([
    [
      'required',
      required.map(
        (r) =>
          new Map([
            ['begin', r.begin],
            ['end', r.end],
          ]),
      ),
    ],
  ])
}

export function readTestWriteMessage(r: ReadTestWriteResult): Map<string, unknown> {
  return new Map<string, unknown>([
    ['success', r.success],
    ['data', r.data],
  ])
}
