import { median, percentile } from '../stats.ts'

export { median, percentile }

/** Latency samples in ms and their summary, as RESULTS.md reports them. */
export interface Summary {
  n: number
  min: number
  p50: number
  p90: number
  p99: number
  max: number
}

/** The samples that are numbers (a missing measurement is undefined or null). */
export function present(samples: readonly (number | null | undefined)[]): number[] {
  return samples.filter((s): s is number => typeof s === 'number' && Number.isFinite(s))
}

export function summarize(samples: readonly (number | null | undefined)[]): Summary {
  const xs = present(samples)
  return {
    n: xs.length,
    min: xs.length === 0 ? Number.NaN : Math.min(...xs),
    p50: percentile(xs, 50),
    p90: percentile(xs, 90),
    p99: percentile(xs, 99),
    max: xs.length === 0 ? Number.NaN : Math.max(...xs),
  }
}

/** "12.3 ms" below 100 ms, "123 ms" below 10 s, "12.3 s" above; "–" for NaN. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  const abs = Math.abs(ms)
  if (abs < 100) return `${ms.toFixed(1)} ms`
  if (abs < 10_000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(1)} s`
}

/** "×1.23" or "12 %" style helpers for the ratio columns. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `×${value.toFixed(2)}` : '–'
}

export function formatPct(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value * 100)} %` : '–'
}

export function formatKiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : '–'
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
