/** Latency samples in ms, summarised the way RESULTS.md reports them. */
export interface Summary {
  n: number
  p50: number
  p99: number
  max: number
}

/** Nearest-rank percentile (p in 0–100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] as number
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  }
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50)
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
