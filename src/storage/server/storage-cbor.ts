import { decode, encode, Token, Type } from 'cborg'

/**
 * CBOR as the storage protocol uses it (Tahoe's cbor2): maps keep their insertion order (no
 * canonical sorting), sets of share numbers are tag 258 around an array, integers beyond 2^53 are
 * bigints, and byte strings are Uint8Array. Decoding gives Maps for every map (keys may be
 * integers or byte strings) and Sets for tag 258; any other tag is refused.
 */
export const CBOR_MEDIA_TYPE = 'application/cbor'
const SET_TAG = 258

const encodeOptions = {
  mapSorter: undefined,
  typeEncoders: {
    Set: (set: Set<unknown>) => {
      const tokens: Token[] = [new Token(Type.tag, SET_TAG), new Token(Type.array, set.size)]
      for (const v of set) {
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
          throw new TypeError('only sets of unsigned integers are encoded')
        }
        tokens.push(new Token(Type.uint, v))
      }
      return tokens
    },
  },
}

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value, encodeOptions)
}

const tags: ((inner: unknown) => unknown)[] = []
tags[SET_TAG] = (inner) => {
  if (!Array.isArray(inner)) throw new TypeError('tag 258 (set) must wrap an array')
  return new Set(inner)
}

/** Decodes one CBOR item (trailing bytes are an error); throws on anything malformed. */
export function decodeCbor(bytes: Uint8Array): unknown {
  return decode(bytes, {
    useMaps: true,
    tags,
    allowUndefined: false,
    allowInfinity: false,
    allowNaN: false,
    rejectDuplicateMapKeys: true,
  })
}
