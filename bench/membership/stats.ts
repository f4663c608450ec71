import { median, percentile } from '../stats.ts'

export { median, percentile }

/** Latency samples in ms, summarised the way RESULTS.md reports them. */
export interface Summary {
  n: number
  p50: number
  p99: number
  max: number
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  }
}

/** "1234 ms" below 10 s, "12.3 s" above; "–" for NaN. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  return Math.abs(ms) < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
