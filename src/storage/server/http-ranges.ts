/** A byte span [start, end) parsed from a Range or Content-Range header. */
export interface Span {
  start: number
  end: number
}

const RANGE_RE = /^\s*bytes\s*=\s*(\d{1,15})\s*-\s*(\d{1,15})\s*$/
const CONTENT_RANGE_RE = /^\s*bytes\s+(\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)\s*$/

/**
 * `Range: bytes=first-last`: exactly one range with both ends (the protocol supports no suffix,
 * open-ended or multiple ranges). Undefined when it is anything else (the server answers 416).
 */
export function parseRange(value: string): Span | undefined {
  const m = RANGE_RE.exec(value)
  if (m === null) return undefined
  const first = Number(m[1])
  const last = Number(m[2])
  if (last < first) return undefined
  return { start: first, end: last + 1 }
}

/** `Content-Range: bytes first-last/total` (total may be `*`); undefined when malformed. */
export function parseContentRange(value: string): Span | undefined {
  const m = CONTENT_RANGE_RE.exec(value)
  if (m === null) return undefined
  const first = Number(m[1])
  const last = Number(m[2])
  if (last < first) return undefined
  if (m[3] !== '*' && last >= Number(m[3])) return undefined
  return { start: first, end: last + 1 }
}

/** Tahoe answers with an unknown total length: `bytes first-last/*`. */
export function formatContentRange(span: Span): string {
  return `bytes ${span.start}-${span.end - 1}/*`
}

/** The Range header a client sends for `length` bytes at `offset`. */
export function formatRange(offset: number, length: number): string {
  return `bytes=${offset}-${offset + length - 1}`
}
