import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError } from './http-error.ts'
import { CBOR_MEDIA_TYPE, decodeCbor, encodeCbor } from './storage-cbor.ts'

/**
 * Message bodies: CBOR by default, JSON when a client asks for it (the spec's SHOULD; Tahoe itself
 * answers only CBOR). In JSON, byte strings are base64 strings and sets are arrays; byte-string map
 * keys (only the version message has them) are written as their UTF-8 text.
 */
export type MediaType = typeof CBOR_MEDIA_TYPE | 'application/json'
const JSON_MEDIA_TYPE = 'application/json'

/** The request body's encoding: a missing Content-Type means CBOR; anything else but JSON is 415. */
export function requestMediaType(req: IncomingMessage): MediaType {
  const raw = req.headers['content-type']
  const type = raw?.split(';')[0]?.trim().toLowerCase()
  if (type === undefined || type === '' || type === CBOR_MEDIA_TYPE) return CBOR_MEDIA_TYPE
  if (type === JSON_MEDIA_TYPE) return JSON_MEDIA_TYPE
  throw new HttpError(415, 'send application/cbor (or application/json)')
}

/**
 * The response encoding from Accept (RFC 9110 proactive negotiation): no Accept means CBOR; the
 * acceptable type with the highest q wins, CBOR on a tie or a wildcard; none acceptable is 406.
 */
export function responseMediaType(req: IncomingMessage): MediaType {
  const header = req.headers.accept
  if (header === undefined || header.trim() === '') return CBOR_MEDIA_TYPE
  let best: { type: MediaType; q: number } | undefined
  for (const item of header.split(',')) {
    const [rawType, ...params] = item.split(';')
    const type = rawType?.trim().toLowerCase() ?? ''
    let q = 1
    for (const p of params) {
      const [k, v] = p.split('=').map((s) => s.trim())
      if (k === 'q') q = Number(v)
    }
    if (!(q > 0)) continue
    const candidates: MediaType[] =
      type === '*/*' || type === 'application/*'
        ? [CBOR_MEDIA_TYPE]
        : type === CBOR_MEDIA_TYPE || type === JSON_MEDIA_TYPE
          ? [type]
          : []
    for (const c of candidates) {
      if (best === undefined || q > best.q || (q === best.q && c === CBOR_MEDIA_TYPE)) best = { type: c, q }
    }
  }
  if (best === undefined) throw new HttpError(406, 'this server answers application/cbor or application/json')
  return best.type
}

/** Reads a whole request body of at most `limit` bytes (413 beyond that, before reading it all). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN)
  if (declared > limit) throw new HttpError(413, `the body is over ${limit} bytes`, { connection: 'close' })
  const parts: Buffer[] = []
  let total = 0
  for await (const chunk of req) {
    total += (chunk as Buffer).length
    if (total > limit) throw new HttpError(413, `the body is over ${limit} bytes`, { connection: 'close' })
    parts.push(chunk as Buffer)
  }
  return Buffer.concat(parts)
}

/** Decodes a body; 400 when it is not well-formed CBOR or JSON. */
export function decodeBody(bytes: Uint8Array, type: MediaType): unknown {
  try {
    return type === CBOR_MEDIA_TYPE ? decodeCbor(bytes) : JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (err) {
    throw new HttpError(400, `the body is not well-formed ${type}: ${(err as Error).message}`)
  }
}

export function encodeBody(value: unknown, type: MediaType): Uint8Array {
  return type === CBOR_MEDIA_TYPE ? encodeCbor(value) : Buffer.from(toJson(value), 'utf8')
}

export function sendEncoded(res: ServerResponse, status: number, value: unknown, type: MediaType): void {
  const body = encodeBody(value, type)
  res.writeHead(status, { 'content-type': type, 'content-length': body.length })
  res.end(body)
}

function toJson(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'))
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value) || value instanceof Set) return `[${[...value].map(toJson).join(',')}]`
  if (value instanceof Map) {
    const items = [...value].map(([k, v]) => {
      const key = k instanceof Uint8Array ? Buffer.from(k).toString('utf8') : String(k)
      return `${JSON.stringify(key)}:${toJson(v)}`
    })
    return `{${items.join(',')}}`
  }
  if (value !== null && typeof value === 'object') {
    return toJson(new Map(Object.entries(value as Record<string, unknown>)))
  }
  return JSON.stringify(value) ?? 'null'
}
