import { InvalidArgumentError } from 'commander'
import { parseSize } from '../util/duration.ts'
import { isCloudyError } from '../util/errors.ts'

/** A TCP port: an integer from `min` (1, or 0 for "any free port") to 65535. */
export function parsePort(text: string, min = 1): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(port >= min && port <= 65535)) {
    throw new InvalidArgumentError(`a port is a number from ${min} to 65535`)
  }
  return port
}

export const parseListenPort = (text: string): number => parsePort(text, 0)

export function parseCount(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= 1 && n <= 100)) throw new InvalidArgumentError('a number from 1 to 100')
  return n
}

function splitPair(text: string): [string, string] {
  const eq = text.indexOf('=')
  if (eq <= 0) throw new InvalidArgumentError(`"${text}" is not key=value`)
  return [text.slice(0, eq), text.slice(eq + 1)]
}

/** Collects repeated `k=v` arguments (`--txt a=1 b=2 --txt c=3`) into a record of strings. */
export function collectPair(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const [key, value] = splitPair(text)
  return { ...previous, [key]: value }
}

/**
 * Collects `k=v` service options; a value that reads as a JSON number, boolean or null becomes one
 * (`--option replicas=3 --option public=true`), anything else stays a string.
 */
export function collectOption(text: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const [key, raw] = splitPair(text)
  return { ...previous, [key]: scalar(raw) }
}

function scalar(raw: string): unknown {
  if (raw === 'true' || raw === 'false' || raw === 'null' || /^-?\d+(\.\d+)?$/.test(raw)) {
    return JSON.parse(raw)
  }
  return raw
}

/** A size such as 500MB or 20GiB, in bytes. */
export function parseSizeArg(text: string): number {
  try {
    return parseSize(text)
  } catch (err) {
    if (isCloudyError(err)) throw new InvalidArgumentError(err.message)
    throw err
  }
}
