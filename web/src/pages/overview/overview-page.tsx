import type { ComponentChildren } from 'preact'
import type { Member, NodeStatus } from '../../api/types.ts'
import { EmptyState } from '../../components/empty-state.tsx'
import { formatBytes, formatDateTime, formatDuration, plural, shortId } from '../../components/format.ts'
import { Meter } from '../../components/meter.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { Badge, StatusBadge } from '../../components/status-badge.tsx'
import { useCloud, useNow } from '../../live/use-cloud.ts'
import { Link } from '../../router/link.tsx'
import { countByStatus } from '../nodes/nodes-page.tsx'
import { CloudSetup } from './cloud-setup.tsx'

function Health({ members }: { members: Member[] }) {
  const others = members.filter((m) => !m.self && m.status !== 'left')
  const dead = others.filter((m) => m.status === 'dead')
  const suspect = others.filter((m) => m.status === 'suspect')
  const names = (list: Member[]) => list.map((m) => m.name).join(', ')
  let tone = members.length <= 1 ? 'info' : 'good'
  let title = members.length <= 1 ? 'This node is on its own' : 'Healthy: every member answers'
  let detail: ComponentChildren =
    members.length <= 1 ? (
      <>
        To grow the cloud, create an invite in <Link href="/settings">Settings</Link> and run{' '}
        <code>cloudy join</code> with it on another machine.
      </>
    ) : (
      `${plural(others.length + 1, 'member')} alive, including this node.`
    )
  if (suspect.length > 0) {
    tone = 'warn'
    title = `${plural(suspect.length, 'member')} not answering`
    detail = `Suspect: ${names(suspect)}. They are marked dead if they stay silent.`
  }
  if (dead.length > 0) {
    tone = 'bad'
    title = `${plural(dead.length, 'member')} down`
    detail = `Dead: ${names(dead)}.${suspect.length > 0 ? ` Suspect: ${names(suspect)}.` : ''} Their services are unavailable until they return.`
  }
  return (
    <section class={`health health-${tone}`} aria-labelledby="health-title">
      <span class="badge-dot health-dot" aria-hidden="true" />
      <div>
        <h2 id="health-title" class="health-title">
          {title}
        </h2>
        <p class="health-detail">{detail}</p>
      </div>
    </section>
  )
}

function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="field-row">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  )
}

function ThisNode({ status, uptimeMs }: { status: NodeStatus; uptimeMs: number }) {
  const r = status.resources
  return (
    <section class="card" aria-labelledby="this-node-title">
      <h2 id="this-node-title">This node</h2>
      <dl class="fields">
        <Field label="Name">{status.name}</Field>
        <Field label="Node ID">
          <code title={status.id}>{shortId(status.id)}</code>
        </Field>
        <Field label="Address">{status.host}</Field>
        <Field label="Micro cloud">{status.microCloud}</Field>
        <Field label="Version">{status.version}</Field>
        <Field label="Uptime">{formatDuration(uptimeMs)}</Field>
        <Field label="Contributed storage">
          {r.contributedStorage > 0 ? formatBytes(r.contributedStorage) : 'none'}
        </Field>
      </dl>
      <details class="details">
        <summary>Overlay addresses ({status.p2pAddrs.length})</summary>
        <ul class="addr-list">
          {status.p2pAddrs.map((a) => (
            <li key={a}>
              <code>{a}</code>
            </li>
          ))}
        </ul>
      </details>
    </section>
  )
}

function Resources({ status }: { status: NodeStatus }) {
  const r = status.resources
  const memUsed = r.memTotal - r.memFree
  const diskUsed = r.diskTotal - r.diskFree
  return (
    <section class="card" aria-labelledby="resources-title">
      <h2 id="resources-title">Resources</h2>
      <Meter
        label="CPU load"
        used={r.load1}
        total={Math.max(1, r.cpuCores)}
        text={`${r.load1.toFixed(2)} on ${plural(r.cpuCores, 'core')}`}
      />
      <Meter
        label="Memory"
        used={memUsed}
        total={r.memTotal}
        text={`${formatBytes(memUsed)} of ${formatBytes(r.memTotal)} used`}
      />
      <Meter
        label="Disk"
        used={diskUsed}
        total={r.diskTotal}
        text={`${formatBytes(r.diskFree)} free of ${formatBytes(r.diskTotal)}`}
      />
    </section>
  )
}

function Cloud({ status, members, services }: { status: NodeStatus; members: Member[]; services: number }) {
  const cloud = status.cloud
  if (!cloud) return null
  const m = countByStatus(members)
  return (
    <section class="card" aria-labelledby="cloud-title">
      <h2 id="cloud-title">Cloud</h2>
      <dl class="fields">
        <Field label="Name">{cloud.name}</Field>
        <Field label="Key fingerprint">
          <code>{cloud.keyFingerprint}</code>
        </Field>
        <Field label="Joined">{formatDateTime(cloud.joinedAt)}</Field>
        <Field label="Members">
          <span class="badge-row">
            <StatusBadge status="alive" /> {m.alive}
            {m.suspect > 0 && (
              <>
                <StatusBadge status="suspect" /> {m.suspect}
              </>
            )}
            {m.dead > 0 && (
              <>
                <StatusBadge status="dead" /> {m.dead}
              </>
            )}
            {m.left > 0 && (
              <>
                <StatusBadge status="left" /> {m.left}
              </>
            )}
          </span>
        </Field>
        <Field label="Services">
          {services > 0 ? plural(services, 'service') : <Badge tone="neutral">none yet</Badge>}
        </Field>
      </dl>
      <p class="card-links">
        <Link href="/nodes">See the nodes</Link>
        <Link href="/services">See the services</Link>
      </p>
    </section>
  )
}

export default function OverviewPage() {
  const cloud = useCloud()
  const now = useNow(1000)
  const status = cloud.status
  if (!status) {
    return (
      <>
        <PageHeader title="Overview" />
        {cloud.loaded ? null : <p class="loading">Loading…</p>}
      </>
    )
  }
  return (
    <>
      <PageHeader
        title="Overview"
        subtitle={
          status.cloud ? (
            <>
              <strong>{status.name}</strong> in the cloud <strong>{status.cloud.name}</strong>
            </>
          ) : (
            <>
              <strong>{status.name}</strong>, not in a cloud
            </>
          )
        }
      />
      {status.cloud ? (
        <Health members={cloud.members} />
      ) : (
        <EmptyState icon="cloud" title="This node is not in a cloud yet">
          <p>
            Join an existing community cloud with an invite from one of its members, or start a new cloud.
          </p>
        </EmptyState>
      )}
      {!status.cloud && <CloudSetup />}
      <div class="grid">
        <ThisNode status={status} uptimeMs={status.uptimeMs + Math.max(0, now - cloud.statusAt)} />
        <Resources status={status} />
        <Cloud status={status} members={cloud.members} services={cloud.services.length} />
      </div>
    </>
  )
}
