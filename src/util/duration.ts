import { CloudyError } from './errors.ts'

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** Parses "90s", "15m", "24h", "7d", "1h30m" into milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy
  let total = 0
  let matched = 0
  for (const m of trimmed.matchAll(re)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number)
    matched += m[0].length
  }
  if (trimmed.length === 0 || matched !== trimmed.length || total <= 0) {
    throw new CloudyError('INVALID_INPUT', `not a duration: "${text}" (use e.g. 30m, 24h, 7d)`)
  }
  return total
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
}

/** Parses "500MB", "2GiB", "1.5T", "1024" into bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()]
  if (!m || unit === undefined) {
    throw new CloudyError('INVALID_INPUT', `not a size: "${text}" (use e.g. 500MB, 20GiB)`)
  }
  return Math.floor(Number(m[1]) * unit)
}
