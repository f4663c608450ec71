import { type Column, DataTable } from '../../components/data-table.tsx'
import { EmptyState } from '../../components/empty-state.tsx'
import { formatBytes, formatRtt, formatTime } from '../../components/format.ts'
import { Meter } from '../../components/meter.tsx'
import { Badge } from '../../components/status-badge.tsx'
import type { LocalStorage, StorageServer } from './storage-api.ts'

/** A row of the table: a server of the live catalogue, with its health once this node asked it. */
export interface ServerRow {
  id: string
  name: string
  host: string | null
  port: number | null
  self: boolean
  capacity: number | null
  /** undefined while this node has not asked it yet */
  health: StorageServer | undefined
}

function Health({ row }: { row: ServerRow }) {
  const h = row.health
  if (!h) return <Badge tone="neutral">checking…</Badge>
  if (!h.reachable) {
    return (
      <span class="stack">
        <Badge tone="bad">unreachable</Badge>
        {h.error && <span class="muted small storage-error">{h.error}</span>}
      </span>
    )
  }
  return <Badge tone="good">reachable · {formatRtt(h.latencyMs)}</Badge>
}

function Space({ row, local }: { row: ServerRow; local: LocalStorage | null }) {
  const available = row.health?.availableSpace ?? null
  const used = row.self && local ? local.bytesUsed : null
  const capacity = row.self && local ? local.capacity : row.capacity
  if (available === null) {
    return <span class="muted">{capacity === null ? '—' : `${formatBytes(capacity)} offered`}</span>
  }
  // where the shares held are known (this node), the bar is what they take; elsewhere what is taken
  // out of what the node offers, by shares or by a fuller disk
  const total = capacity ?? (used === null ? null : used + available)
  const text = `${formatBytes(available)} free${total === null ? '' : ` of ${formatBytes(total)}`}`
  if (total === null || total <= 0) return <span>{text}</span>
  return (
    <Meter
      label={
        used === null ? `${formatBytes(Math.max(0, total - available))} taken` : `${formatBytes(used)} used`
      }
      used={used ?? Math.max(0, total - available)}
      total={total}
      text={text}
    />
  )
}

function columns(local: LocalStorage | null): Column<ServerRow>[] {
  return [
    {
      id: 'server',
      label: 'Server',
      primary: true,
      render: (r) => (
        <span class="stack">
          <span>
            <span class="strong">{r.name}</span> {r.self && <Badge tone="info">this node</Badge>}
          </span>
          <span class="muted small">
            {r.host === null ? 'invalid announcement' : `${r.host}:${r.port}`}
            {r.health?.applicationVersion ? ` · ${r.health.applicationVersion}` : ''}
          </span>
        </span>
      ),
    },
    { id: 'health', label: 'Health', render: (r) => <Health row={r} /> },
    { id: 'space', label: 'Space', render: (r) => <Space row={r} local={local} /> },
    {
      id: 'used',
      label: 'Used',
      numeric: true,
      render: (r) => (r.self && local ? formatBytes(local.bytesUsed) : <span class="muted">—</span>),
    },
    {
      id: 'shares',
      label: 'Shares',
      numeric: true,
      render: (r) => (r.self && local ? local.shares : <span class="muted">—</span>),
    },
  ]
}

/** The storage servers of the cloud: where they are, whether they answer, how much room they have. */
export function ServersSection({
  rows,
  local,
  checkedAt,
}: {
  rows: ServerRow[]
  local: LocalStorage | null
  checkedAt: number | null
}) {
  return (
    <section class="card card-wide" aria-labelledby="servers-title">
      <div class="storage-toolbar">
        <h2 id="servers-title">Storage servers of the cloud</h2>
        {checkedAt !== null && (
          <span class="muted small">health as this node sees it, at {formatTime(checkedAt)}</span>
        )}
      </div>
      {rows.length === 0 ? (
        <EmptyState icon="storage" title="No storage servers in the cloud yet">
          <p>
            Files are stored on the members that run a storage server. Switch on this node's below, and on
            other members with <code>cloudy service enable storage</code>.
          </p>
        </EmptyState>
      ) : (
        <DataTable
          caption="Storage servers of the cloud"
          columns={columns(local)}
          rows={rows}
          rowKey={(r) => r.id}
          rowLabel={(r) => r.name}
          rowClass={(r) => (r.health && !r.health.reachable ? 'row-bad' : undefined)}
        />
      )}
      <p class="muted small">
        Used space and shares are known for this node's server only; the others say how much they accept now.
      </p>
    </section>
  )
}
