/**
 * Lifeguard's dynamic suspicion timeout: it starts at `maxMs` and shrinks towards `minMs` as
 * independent members confirm the suspicion, reaching `minMs` at `expected` confirmations.
 */
export function suspicionTimeout(confirmations: number, minMs: number, maxMs: number, expected = 3): number {
  if (confirmations <= 0) return maxMs
  const fraction = Math.log(confirmations + 1) / Math.log(expected + 1)
  return Math.max(minMs, Math.round(maxMs - (maxMs - minMs) * Math.min(1, fraction)))
}
