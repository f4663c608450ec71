import { HASH_SIZE } from '../crypto/hashes.ts'
import { concatBytes } from '../util/bytes.ts'
import { readNetstring } from '../util/netstring.ts'
import { storageError } from '../util/storage-error.ts'

/**
 * The URI extension block (UEB) of a CHK file: the non-secret values that would have made the cap
 * too long. Each field is `key:` followed by the netstring of its value, keys in sorted order
 * (Tahoe's uri.pack_extension); integers are decimal. The cap carries the tagged hash of these
 * bytes. Tahoe 1.20 writes exactly the eleven fields below (checked against its shares in
 * test/unit/storage/immutable); unknown keys from other writers are kept in `extra`.
 */
export interface CodecParams {
  /** bytes the codec takes per call: the (padded) segment size */
  readonly segmentSize: number
  readonly needed: number
  readonly total: number
}

export interface UriExtension {
  /** always "crs" (zfec Reed-Solomon) */
  readonly codecName: string
  readonly codecParams: CodecParams
  readonly tailCodecParams: CodecParams
  readonly size: number
  readonly segmentSize: number
  readonly numSegments: number
  readonly neededShares: number
  readonly totalShares: number
  /** flat tagged hash of the whole ciphertext */
  readonly crypttextHash: Uint8Array
  /** root of the crypttext (segment) hash tree */
  readonly crypttextRootHash: Uint8Array
  /** root of the share hash tree */
  readonly shareRootHash: Uint8Array
  /** fields this version does not interpret, by key */
  readonly extra?: ReadonlyMap<string, Uint8Array>
}

const KNOWN_KEYS = [
  'codec_name',
  'codec_params',
  'crypttext_hash',
  'crypttext_root_hash',
  'needed_shares',
  'num_segments',
  'segment_size',
  'share_root_hash',
  'size',
  'tail_codec_params',
  'total_shares',
] as const
type KnownKey = (typeof KNOWN_KEYS)[number]

const KEY_PATTERN = /^[a-zA-Z_-]+$/
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function formatCodecParams(params: CodecParams): string {
  return `${params.segmentSize}-${params.needed}-${params.total}`
}

function parseCodecParams(key: string, text: string): CodecParams {
  const match = /^(0|[1-9][0-9]*)-([1-9][0-9]*)-([1-9][0-9]*)$/.exec(text)
  if (!match) throw invalid(`${key} is not "segmentsize-k-N"`)
  return { segmentSize: Number(match[1]), needed: Number(match[2]), total: Number(match[3]) }
}

function invalid(message: string): Error {
  return storageError('INVALID_FORMAT', `URI extension block: ${message}`)
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function encodeUriExtension(ueb: UriExtension): Uint8Array {
  for (const [name, hash] of [
    ['crypttext_hash', ueb.crypttextHash],
    ['crypttext_root_hash', ueb.crypttextRootHash],
    ['share_root_hash', ueb.shareRootHash],
  ] as const) {
    if (hash.length !== HASH_SIZE) throw new RangeError(`UEB ${name} must be ${HASH_SIZE} bytes`)
  }
  const fields = new Map<string, Uint8Array>()
  for (const [key, value] of ueb.extra ?? []) {
    if (!KEY_PATTERN.test(key)) throw new RangeError(`UEB key ${JSON.stringify(key)} is not [a-zA-Z_-]+`)
    fields.set(key, value)
  }
  const text = (s: string | number) => encoder.encode(String(s))
  const known: Record<KnownKey, Uint8Array> = {
    codec_name: text(ueb.codecName),
    codec_params: text(formatCodecParams(ueb.codecParams)),
    crypttext_hash: ueb.crypttextHash,
    crypttext_root_hash: ueb.crypttextRootHash,
    needed_shares: text(ueb.neededShares),
    num_segments: text(ueb.numSegments),
    segment_size: text(ueb.segmentSize),
    share_root_hash: ueb.shareRootHash,
    size: text(ueb.size),
    tail_codec_params: text(formatCodecParams(ueb.tailCodecParams)),
    total_shares: text(ueb.totalShares),
  }
  for (const key of KNOWN_KEYS) fields.set(key, known[key])
  const parts: Uint8Array[] = []
  for (const key of [...fields.keys()].sort(compareKeys)) {
    const value = fields.get(key)!
    parts.push(encoder.encode(`${key}:${value.length}:`), value, encoder.encode(','))
  }
  return concatBytes(parts)
}

/**
 * Parses a UEB. Checks its syntax and that every field Tahoe 1.20 writes is present and
 * well-formed; consistency with a cap is checked by checkUriExtension().
 */
export function parseUriExtension(bytes: Uint8Array): UriExtension {
  const fields = new Map<string, Uint8Array>()
  let position = 0
  while (position < bytes.length) {
    const colon = bytes.indexOf(0x3a, position)
    if (colon < 0) throw invalid(`no ':' after the key at ${position}`)
    const key = decoder.decode(bytes.subarray(position, colon))
    if (!KEY_PATTERN.test(key)) throw invalid(`bad key at ${position}`)
    if (fields.has(key)) throw invalid(`duplicate key ${key}`)
    let read: ReturnType<typeof readNetstring>
    try {
      read = readNetstring(bytes, colon + 1)
    } catch (err) {
      throw invalid(`value of ${key}: ${(err as Error).message}`)
    }
    fields.set(key, read.value)
    position = read.next
  }
  const take = (key: KnownKey): Uint8Array => {
    const value = fields.get(key)
    if (value === undefined) throw invalid(`missing ${key}`)
    fields.delete(key)
    return value
  }
  const text = (key: KnownKey) => decoder.decode(take(key))
  const int = (key: KnownKey): number => {
    const value = text(key)
    if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw invalid(`${key} is not a decimal integer`)
    }
    return Number(value)
  }
  const hash = (key: KnownKey): Uint8Array => {
    const value = take(key)
    if (value.length !== HASH_SIZE) throw invalid(`${key} is ${value.length} bytes, not ${HASH_SIZE}`)
    return value
  }
  const ueb: UriExtension = {
    codecName: text('codec_name'),
    codecParams: parseCodecParams('codec_params', text('codec_params')),
    tailCodecParams: parseCodecParams('tail_codec_params', text('tail_codec_params')),
    size: int('size'),
    segmentSize: int('segment_size'),
    numSegments: int('num_segments'),
    neededShares: int('needed_shares'),
    totalShares: int('total_shares'),
    crypttextHash: hash('crypttext_hash'),
    crypttextRootHash: hash('crypttext_root_hash'),
    shareRootHash: hash('share_root_hash'),
  }
  return fields.size > 0 ? { ...ueb, extra: fields } : ueb
}

/** Size of the UEB of a file before its hashes are known (they have fixed length). */
export function uriExtensionSize(
  ueb: Omit<UriExtension, 'crypttextHash' | 'crypttextRootHash' | 'shareRootHash'>,
): number {
  const zero = new Uint8Array(HASH_SIZE)
  return encodeUriExtension({ ...ueb, crypttextHash: zero, crypttextRootHash: zero, shareRootHash: zero })
    .length
}
