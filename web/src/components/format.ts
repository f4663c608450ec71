/** Formatting of sizes, durations and times for people. */

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < IEC.length - 1) {
    value /= 1024
    unit++
  }
  const digits = value >= 100 || unit === 0 ? 0 : 1
  return `${value.toFixed(digits)} ${IEC[unit]}`
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
}

/** "20 GiB", "500GB", "1.5 TB" → bytes; undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  if (!m) return undefined
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase() || 'b']
  if (unit === undefined) return undefined
  return Math.round(Number(m[1]) * unit)
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return `${d} d ${h} h`
  if (h > 0) return `${h} h ${m} min`
  if (m > 0) return `${m} min`
  return `${s} s`
}

export function formatAgo(at: number, now = Date.now()): string {
  const ms = now - at
  if (ms < 5000) return 'just now'
  if (ms < 0) return 'just now'
  return `${formatDuration(ms)} ago`
}

export function formatIn(at: number, now = Date.now()): string {
  const ms = at - now
  return ms <= 0 ? 'now' : `in ${formatDuration(ms)}`
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })

export function formatDateTime(at: number): string {
  return dateTime.format(at)
}

export function formatTime(at: number): string {
  return time.format(at)
}

export function formatRtt(rttMs: number | null): string {
  if (rttMs === null) return '—'
  return rttMs < 10 ? `${rttMs.toFixed(1)} ms` : `${Math.round(rttMs)} ms`
}

export function shortId(id: string): string {
  return id.length > 12 ? `…${id.slice(-8)}` : id
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}
