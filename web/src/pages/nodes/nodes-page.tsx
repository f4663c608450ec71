import type { Member, MemberStatus } from '../../api/types.ts'
import { type Column, DataTable } from '../../components/data-table.tsx'
import { EmptyState } from '../../components/empty-state.tsx'
import {
  formatAgo,
  formatBytes,
  formatDuration,
  formatRtt,
  plural,
  shortId,
} from '../../components/format.ts'
import { PageHeader } from '../../components/page-header.tsx'
import { Badge, StatusBadge } from '../../components/status-badge.tsx'
import { Tabs } from '../../components/tabs.tsx'
import { useCloud } from '../../live/use-cloud.ts'
import { Link } from '../../router/link.tsx'
import { navigate } from '../../router/router.ts'
import type { PageProps } from '../registry.ts'
import { NodesGraph } from './nodes-graph.tsx'

const STATUS_ORDER: Record<MemberStatus, number> = { alive: 0, suspect: 1, dead: 2, left: 3 }

/** This node first, then by status (alive first) and name. */
export function sortMembers(members: Member[]): Member[] {
  return [...members].sort(
    (a, b) =>
      Number(b.self) - Number(a.self) ||
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      a.name.localeCompare(b.name),
  )
}

/** Counted from the live list itself, so the summary never lags behind the table. */
export function countByStatus(members: Member[]): Record<MemberStatus, number> {
  const counts = { alive: 0, suspect: 0, dead: 0, left: 0 }
  for (const m of members) counts[m.status]++
  return counts
}

const percent = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)} %` : '—')

const COLUMNS: Column<Member>[] = [
  {
    id: 'name',
    label: 'Node',
    primary: true,
    render: (m) => (
      <span class="node-name">
        <span class="node-title">{m.name}</span>
        {m.self && <Badge tone="info">this node</Badge>}
        <code class="muted small" title={m.id}>
          {shortId(m.id)}
        </code>
      </span>
    ),
  },
  {
    id: 'status',
    label: 'Status',
    render: (m) => (
      <span class="stack">
        <StatusBadge status={m.status} />
        <span class="muted small">since {formatAgo(m.statusSince)}</span>
      </span>
    ),
  },
  { id: 'micro', label: 'Micro cloud', render: (m) => m.microCloud },
  { id: 'host', label: 'Address', render: (m) => <code>{m.host}</code> },
  {
    id: 'rtt',
    label: 'RTT from here',
    numeric: true,
    render: (m) =>
      m.self ? (
        <span class="muted">this node</span>
      ) : m.status === 'dead' || m.status === 'left' ? (
        <span class="muted">—</span>
      ) : (
        <span>
          {formatRtt(m.rttMs)}
          {m.relayed && (
            <>
              {' '}
              <Badge tone="warn" title="reached only through a relay; not chosen to serve data">
                relayed
              </Badge>
            </>
          )}
        </span>
      ),
  },
  {
    id: 'resources',
    label: 'Resources',
    render: (m) => (
      <span class="resources">
        <span>
          load <strong>{m.resources.load1.toFixed(2)}</strong> on {plural(m.resources.cpuCores, 'core')}
        </span>
        <span>
          memory <strong>{percent(m.resources.memTotal - m.resources.memFree, m.resources.memTotal)}</strong>{' '}
          used
        </span>
        <span>
          disk <strong>{formatBytes(m.resources.diskFree)}</strong> free
        </span>
      </span>
    ),
  },
  {
    id: 'uptime',
    label: 'Uptime',
    numeric: true,
    render: (m) => (m.status === 'alive' || m.status === 'suspect' ? formatDuration(m.uptimeMs) : '—'),
  },
]

export default function NodesPage({ params }: PageProps) {
  const cloud = useCloud()
  const view = params.view === 'graph' ? 'graph' : 'table'
  const members = sortMembers(cloud.members)
  const counts = countByStatus(members)
  const subtitle =
    members.length > 0
      ? `${plural(members.length, 'member')}: ${counts.alive} alive${counts.suspect ? `, ${counts.suspect} suspect` : ''}${counts.dead ? `, ${counts.dead} dead` : ''}${counts.left ? `, ${counts.left} left` : ''}. Updates live.`
      : undefined

  return (
    <>
      <PageHeader title="Nodes" subtitle={subtitle} />
      {cloud.loaded && members.length === 0 ? (
        <EmptyState icon="nodes" title="No members to show">
          <p>
            {cloud.status?.cloud
              ? 'The overlay is starting, or this node has not heard from the cloud yet.'
              : 'This node is not in a cloud.'}{' '}
            To add a node, create an invite in <Link href="/settings">Settings → Invites</Link> and run{' '}
            <code>cloudy join</code> with it on the new machine.
          </p>
        </EmptyState>
      ) : (
        <Tabs
          label="View"
          idPrefix="nodes"
          selected={view}
          onSelect={(id) => navigate(id === 'graph' ? '/nodes/graph' : '/nodes')}
          items={[
            { id: 'table', label: 'Table' },
            { id: 'graph', label: 'Graph' },
          ]}
        >
          {view === 'table' ? (
            <DataTable
              caption="Members of the cloud"
              columns={COLUMNS}
              rows={members}
              rowKey={(m) => m.id}
              rowLabel={(m) => m.name}
              rowClass={(m) => `row-status-${m.status}`}
            />
          ) : (
            <NodesGraph members={members} />
          )}
        </Tabs>
      )}
    </>
  )
}
