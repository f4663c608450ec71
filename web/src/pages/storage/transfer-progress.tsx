import { formatBytes } from '../../components/format.ts'
import type { Transfer } from './storage-api.ts'

/** A transfer's bar and, beside it in words, how far it is (the bar only repeats the text). */
export function TransferProgress({
  label,
  transfer,
  after,
}: {
  /** what moves, e.g. "Upload of report.pdf" */
  label: string
  transfer: Transfer
  /** said once every byte has moved, while the node still works, e.g. "storing on the cloud…" */
  after?: string
}) {
  const { loaded, total } = transfer
  const pct = total !== null && total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : null
  const finished = total !== null && loaded >= total
  const text =
    finished && after
      ? after
      : total === null
        ? `${formatBytes(loaded)} so far`
        : `${formatBytes(loaded)} of ${formatBytes(total)} (${pct ?? 100}%)`
  return (
    <div class="storage-progress">
      <div
        class="storage-bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        {...(pct !== null && { 'aria-valuenow': pct })}
        aria-valuetext={text}
      >
        <div
          class={`storage-bar-fill${finished && after ? ' storage-bar-busy' : ''}`}
          style={{ width: `${pct ?? 0}%` }}
        />
      </div>
      <span class="muted small">{text}</span>
    </div>
  )
}
