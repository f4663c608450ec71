import { useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import type { Quality, Service } from '../../api/types.ts'
import { ConfirmButton } from '../../components/confirm-button.tsx'
import { CopyButton } from '../../components/copy-button.tsx'
import { type Column, DataTable } from '../../components/data-table.tsx'
import { EmptyState } from '../../components/empty-state.tsx'
import { formatAgo, plural } from '../../components/format.ts'
import { Icon } from '../../components/icon.tsx'
import { Notice } from '../../components/notice.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { Badge } from '../../components/status-badge.tsx'
import { Tabs } from '../../components/tabs.tsx'
import { cloudStore, serviceKey } from '../../live/cloud-store.ts'
import { useCloud } from '../../live/use-cloud.ts'
import { navigate } from '../../router/router.ts'
import type { PageProps } from '../registry.ts'
import { PublishForm } from './publish-form.tsx'
import { serviceKind } from './service-kinds.ts'

const ALL = '__all'

/** The last scan's results, kept while the dashboard is open: events do not carry them. */
const scanned = new Map<string, Quality>()

function QualityBadge({ quality }: { quality: Quality | undefined }) {
  if (!quality) return <span class="muted">not scanned</span>
  if (!quality.reachable) {
    return (
      <Badge tone="bad" title={`checked ${formatAgo(quality.checkedAt)}`}>
        unreachable
      </Badge>
    )
  }
  const ms =
    quality.connectMs === null
      ? ''
      : ` · ${quality.connectMs < 10 ? quality.connectMs.toFixed(1) : Math.round(quality.connectMs)} ms`
  return (
    <Badge tone="good" title={`checked ${formatAgo(quality.checkedAt)}`}>
      reachable{ms}
    </Badge>
  )
}

function Actions({ service }: { service: Service }) {
  const actions = serviceKind(service.type).actions(service)
  if (actions.length === 0) return <span class="muted">—</span>
  return (
    <span class="actions">
      {actions.map((a) =>
        a.kind === 'open' ? (
          <a
            key={a.label}
            class="button button-small"
            href={a.href}
            target="_blank"
            rel="noopener noreferrer"
            aria-label={`${a.label} ${service.description || service.type} (new tab)`}
          >
            <Icon name="external" size={14} />
            {a.label}
          </a>
        ) : (
          <CopyButton key={a.label} text={a.text} label={a.label} />
        ),
      )}
    </span>
  )
}

function columns(showType: boolean): Column<Service>[] {
  return [
    {
      id: 'description',
      label: 'Description',
      primary: true,
      render: (s) => (
        <span class="stack">
          <span class="service-title">{s.description || <span class="muted">no description</span>}</span>
          {(showType || s.builtin) && (
            <span class="muted small">
              {showType && <code>{s.type}</code>}
              {showType && s.builtin && ' · '}
              {s.builtin && 'built into Cloudy'}
            </span>
          )}
        </span>
      ),
    },
    {
      id: 'node',
      label: 'Node',
      render: (s) => (
        <span>
          {s.nodeName} {s.local && <Badge tone="info">this node</Badge>}
        </span>
      ),
    },
    { id: 'host', label: 'Address', render: (s) => <code>{s.host}</code> },
    { id: 'port', label: 'Port', numeric: true, render: (s) => s.port },
    { id: 'micro', label: 'Micro cloud', render: (s) => s.microCloud },
    { id: 'quality', label: 'Quality', render: (s) => <QualityBadge quality={scanned.get(serviceKey(s))} /> },
    { id: 'actions', label: 'Actions', render: (s) => <Actions service={s} /> },
  ]
}

function LocalServices({ services }: { services: Service[] }) {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const unpublish = async (s: Service) => {
    setBusy(serviceKey(s))
    setError(null)
    try {
      await api.unpublish(s.type, s.port)
      const key = serviceKey(s)
      cloudStore.update({ services: cloudStore.state.services.filter((x) => serviceKey(x) !== key) })
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(null)
    }
  }
  return (
    <section class="card" aria-labelledby="local-title">
      <h2 id="local-title">Published by this node</h2>
      {services.length === 0 ? (
        <p class="muted">This node publishes nothing yet. Use the form to announce a service it runs.</p>
      ) : (
        <ul class="plain-list">
          {services.map((s) => (
            <li key={serviceKey(s)} class="list-row" data-local={`${s.type}:${s.port}`}>
              <span class="stack">
                <span>
                  <code>{s.type}</code> on port {s.port}
                </span>
                <span class="muted small">{s.description || 'no description'}</span>
              </span>
              {s.builtin ? (
                <span class="muted small">
                  built in: <code>cloudy service disable {s.type}</code>
                </span>
              ) : (
                <ConfirmButton
                  label="Unpublish"
                  question={`Withdraw ${s.type} on port ${s.port} from the cloud?`}
                  confirmLabel="Unpublish"
                  busy={busy === serviceKey(s)}
                  onConfirm={() => unpublish(s)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </section>
  )
}

const byTypeNodePort = (a: Service, b: Service) =>
  a.type.localeCompare(b.type) || a.nodeName.localeCompare(b.nodeName) || a.port - b.port

export default function ServicesPage({ params }: PageProps) {
  const cloud = useCloud()
  const [scan, setScan] = useState<{ busy: boolean; result?: string; error?: string }>({ busy: false })
  const [, setScanVersion] = useState(0)
  const selected = params.type ?? ALL
  const services = [...cloud.services].sort(byTypeNodePort)
  const types = [...new Set(services.map((s) => s.type))].sort()
  if (selected !== ALL && !types.includes(selected)) types.push(selected)
  const shown = selected === ALL ? services : services.filter((s) => s.type === selected)
  const local = services.filter((s) => s.local)

  const runScan = async () => {
    setScan({ busy: true })
    try {
      const results = await api.scan(selected === ALL ? undefined : selected)
      for (const s of results) if (s.quality) scanned.set(serviceKey(s), s.quality)
      const reachable = results.filter((s) => s.quality?.reachable).length
      setScan({
        busy: false,
        result:
          results.length === 0
            ? 'Nothing to scan.'
            : `Scanned ${plural(results.length, 'service')} from this node: ${reachable} reachable, ${results.length - reachable} unreachable.`,
      })
      setScanVersion((v) => v + 1)
    } catch (err) {
      setScan({ busy: false, error: errorText(err) })
    }
  }

  const rowClass = (s: Service) => {
    const q = scanned.get(serviceKey(s))
    return q ? (q.reachable ? 'row-good' : 'row-bad') : undefined
  }

  return (
    <>
      <PageHeader
        title="Services"
        subtitle={`${plural(services.length, 'service')} in the cloud's catalogue. Updates live.`}
        actions={
          <button
            type="button"
            class="button"
            onClick={runScan}
            disabled={scan.busy || shown.length === 0}
            aria-busy={scan.busy}
          >
            <Icon name="scan" size={16} />
            {scan.busy ? 'Scanning…' : 'Scan quality'}
          </button>
        }
      />
      {scan.result && <Notice tone="info">{scan.result}</Notice>}
      {scan.error && (
        <Notice tone="error" title="The scan failed">
          {scan.error}
        </Notice>
      )}
      {services.length === 0 && cloud.loaded ? (
        <EmptyState icon="services" title="No services in the cloud yet">
          <p>
            Publish one that runs on this node with the form below, or with{' '}
            <code>cloudy publish web 8080 --description "Community wiki"</code>. Services of other members
            appear here as soon as they publish them.
          </p>
        </EmptyState>
      ) : (
        <Tabs
          label="Service type"
          idPrefix="services"
          selected={selected}
          onSelect={(id) => navigate(id === ALL ? '/services' : `/services/${encodeURIComponent(id)}`)}
          items={[
            { id: ALL, label: `All (${services.length})` },
            ...types.map((t) => ({
              id: t,
              label: `${serviceKind(t).label} (${services.filter((s) => s.type === t).length})`,
            })),
          ]}
        >
          {shown.length === 0 ? (
            <EmptyState icon="services" title={`No ${selected} services`}>
              <p>No member publishes a service of this type right now. It appears here when one does.</p>
            </EmptyState>
          ) : (
            <DataTable
              caption={selected === ALL ? 'Services of the cloud' : `${selected} services of the cloud`}
              columns={columns(selected === ALL)}
              rows={shown}
              rowKey={serviceKey}
              rowClass={rowClass}
              rowLabel={(s) => `${s.nodeName}/${s.type}/${s.port}`}
            />
          )}
        </Tabs>
      )}
      <div class="grid grid-2 grid-start">
        <PublishForm
          knownTypes={types}
          defaultHost={cloud.status?.host}
          onPublished={(s) => {
            const key = serviceKey(s)
            cloudStore.update({
              services: [...cloudStore.state.services.filter((x) => serviceKey(x) !== key), s],
            })
          }}
        />
        <LocalServices services={local} />
      </div>
    </>
  )
}
