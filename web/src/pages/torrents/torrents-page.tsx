import { useCallback, useEffect, useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import { ConfirmButton } from '../../components/confirm-button.tsx'
import { CopyButton } from '../../components/copy-button.tsx'
import { type Column, DataTable } from '../../components/data-table.tsx'
import { EmptyState } from '../../components/empty-state.tsx'
import { formatBytes, formatDuration } from '../../components/format.ts'
import { Notice } from '../../components/notice.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { Badge, type Tone } from '../../components/status-badge.tsx'
import { cloudStore } from '../../live/cloud-store.ts'
import { useCloud } from '../../live/use-cloud.ts'
import type { PageProps } from '../registry.ts'
import { AddTorrentForm } from './add-torrent-form.tsx'
import { type Torrent, type TrackerStats, torrentsApi } from './torrents-api.ts'
import './torrents.css'

/** how often the list is fetched while the page is open (Transmission's web interface does the same) */
const POLL_MS = 1000

const STATUS: Record<Torrent['status'], { tone: Tone; label: string }> = {
  metadata: { tone: 'info', label: 'Fetching metadata' },
  checking: { tone: 'info', label: 'Checking' },
  downloading: { tone: 'info', label: 'Downloading' },
  seeding: { tone: 'good', label: 'Seeding' },
  paused: { tone: 'neutral', label: 'Paused' },
  error: { tone: 'bad', label: 'Error' },
}

type Filter = 'all' | 'active' | 'downloading' | 'seeding' | 'paused' | 'error'

const rate = (bytesPerS: number) => `${formatBytes(bytesPerS)}/s`

/** "Downloading from 3 peers – 1.2 MiB of 30 MiB (4%) – 2 min left", as Transmission says it. */
function progressText(t: Torrent): string {
  const size = t.length > 0 ? `${formatBytes(t.downloaded)} of ${formatBytes(t.length)}` : 'size unknown'
  const pct = `${(Math.floor(t.progress * 1000) / 10).toFixed(1)}%`
  switch (t.status) {
    case 'downloading':
      return `${size} (${pct}) from ${t.peers} ${t.peers === 1 ? 'peer' : 'peers'}${t.etaMs === null ? '' : ` – ${formatDuration(t.etaMs)} left`}`
    case 'seeding':
      return `${formatBytes(t.length)}, uploaded ${formatBytes(t.uploaded)} (ratio ${t.ratio.toFixed(2)}) to ${t.peers} ${t.peers === 1 ? 'peer' : 'peers'}`
    case 'error':
      return t.error ?? 'stopped by an error'
    default:
      return `${size} (${pct})`
  }
}

function Progress({ t }: { t: Torrent }) {
  const pct = Math.round(t.progress * 1000) / 10
  return (
    <div class="torrent-progress">
      <div
        class={`torrent-bar torrent-bar-${t.status}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-label={`${t.name}: ${pct}%`}
      >
        <div class="torrent-bar-fill" style={{ width: `${pct}%` }} />
      </div>
      <span class="muted small">{progressText(t)}</span>
    </div>
  )
}

function Actions({ t, onChange }: { t: Torrent; onChange: () => void }) {
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)
  const act = async (f: () => Promise<unknown>) => {
    setBusy(true)
    setFailure(null)
    try {
      await f()
      onChange()
    } catch (err) {
      setFailure(errorText(err))
    } finally {
      setBusy(false)
    }
  }
  const stopped = t.status === 'paused' || t.status === 'error'
  return (
    <span class="actions">
      <button
        type="button"
        class="button button-small"
        disabled={busy}
        onClick={() => act(() => (stopped ? torrentsApi.resume(t.infoHash) : torrentsApi.pause(t.infoHash)))}
        aria-label={`${stopped ? 'Resume' : 'Pause'} ${t.name}`}
      >
        {stopped ? 'Resume' : 'Pause'}
      </button>
      <CopyButton text={t.magnet} label="Magnet" />
      {t.length > 0 && (
        <a class="button button-small" href={torrentsApi.fileUrl(t.infoHash)} download={`${t.name}.torrent`}>
          .torrent
        </a>
      )}
      <ConfirmButton
        label="Remove"
        question={`Remove “${t.name}”? Its files stay on the node.`}
        confirmLabel="Remove"
        busy={busy}
        onConfirm={() => act(() => torrentsApi.remove(t.infoHash, false))}
      />
      {!t.seedingLocal && (
        <ConfirmButton
          label="Delete data"
          question={`Remove “${t.name}” and delete what it downloaded?`}
          confirmLabel="Delete"
          busy={busy}
          onConfirm={() => act(() => torrentsApi.remove(t.infoHash, true))}
        />
      )}
      {failure && (
        <span class="field-error" role="alert">
          {failure}
        </span>
      )}
    </span>
  )
}

function columns(onChange: () => void): Column<Torrent>[] {
  return [
    {
      id: 'name',
      label: 'Name',
      primary: true,
      render: (t) => (
        <span class="stack">
          <span class="torrent-name">{t.name}</span>
          <Progress t={t} />
        </span>
      ),
    },
    {
      id: 'status',
      label: 'Status',
      render: (t) => <Badge tone={STATUS[t.status].tone}>{STATUS[t.status].label}</Badge>,
    },
    { id: 'size', label: 'Size', numeric: true, render: (t) => (t.length > 0 ? formatBytes(t.length) : '?') },
    {
      id: 'rates',
      label: 'Down / up',
      numeric: true,
      render: (t) => (
        <span class="torrent-rates stack">
          <span>↓ {rate(t.downloadRate)}</span>
          <span>↑ {rate(t.uploadRate)}</span>
        </span>
      ),
    },
    { id: 'peers', label: 'Peers', numeric: true, render: (t) => t.peers },
    { id: 'ratio', label: 'Ratio', numeric: true, render: (t) => t.ratio.toFixed(2) },
    { id: 'actions', label: 'Actions', render: (t) => <Actions t={t} onChange={onChange} /> },
  ]
}

function matches(t: Torrent, filter: Filter): boolean {
  if (filter === 'all') return true
  if (filter === 'active') return t.downloadRate > 0 || t.uploadRate > 0
  return (
    t.status === filter || (filter === 'downloading' && (t.status === 'metadata' || t.status === 'checking'))
  )
}

function TrackerCard({ stats }: { stats: TrackerStats }) {
  return (
    <section class="card" aria-labelledby="tracker-title">
      <h2 id="tracker-title">This node's tracker</h2>
      <p class="muted">
        {stats.access === 'open' ? 'Open to anyone.' : 'Answers the members of the cloud only.'} Torrents made
        on any member announce to it.
      </p>
      <dl class="torrent-stats">
        <div>
          <dt>Torrents</dt>
          <dd>{stats.torrents}</dd>
        </div>
        <div>
          <dt>Seeders</dt>
          <dd>{stats.seeders}</dd>
        </div>
        <div>
          <dt>Leechers</dt>
          <dd>{stats.leechers}</dd>
        </div>
        <div>
          <dt>Completed</dt>
          <dd>{stats.completed}</dd>
        </div>
        <div>
          <dt>Announces</dt>
          <dd>{stats.announces}</dd>
        </div>
      </dl>
      <ul class="plain-list">
        {stats.announce.map((url) => (
          <li key={url}>
            <code>{url}</code> <CopyButton text={url} label="Copy" />
          </li>
        ))}
      </ul>
    </section>
  )
}

/** The torrents of this node, like Transmission's web interface: live progress, rates, peers, ETA. */
export default function TorrentsPage(_props: PageProps) {
  const cloud = useCloud()
  const service = cloud.builtins.find((b) => b.name === 'torrents')
  const tracker = cloud.builtins.find((b) => b.name === 'tracker')
  const [torrents, setTorrents] = useState<Torrent[] | null>(null)
  const [stats, setStats] = useState<TrackerStats | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [filter, setFilter] = useState<Filter>('all')
  const [enabling, setEnabling] = useState(false)

  const refresh = useCallback(async () => {
    try {
      setTorrents(await torrentsApi.list())
      setFailure(null)
    } catch (err) {
      setTorrents(null)
      setFailure(errorText(err))
    }
    if (tracker?.running) setStats(await torrentsApi.tracker().catch(() => null))
    else setStats(null)
  }, [tracker?.running])

  useEffect(() => {
    if (!service?.running) return
    void refresh()
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh()
    }, POLL_MS)
    const off = cloudStore.onEvent((e) => {
      if (e.event.startsWith('torrent:')) void refresh()
    })
    return () => {
      clearInterval(timer)
      off()
    }
  }, [service?.running, refresh])

  const enable = async () => {
    setEnabling(true)
    try {
      const view = await api.enableBuiltin('torrents', service?.options ?? {})
      cloudStore.update({ builtins: cloudStore.state.builtins.map((b) => (b.name === view.name ? view : b)) })
      if (view.error) setFailure(view.error)
    } catch (err) {
      setFailure(errorText(err))
    } finally {
      setEnabling(false)
    }
  }

  if (!service?.running) {
    return (
      <>
        <PageHeader title="Torrents" />
        {service?.error && (
          <Notice tone="error" title="The torrents service did not start">
            {service.error}
          </Notice>
        )}
        <EmptyState icon="torrents" title="The BitTorrent client is off on this node">
          <p>
            Switch it on to download and seed torrents with the members of the cloud (and with Transmission,
            aria2 or any BitTorrent client). The same as <code>cloudy service enable torrents</code>.
          </p>
          <button type="button" class="button button-primary" onClick={enable} disabled={enabling}>
            {enabling ? 'Switching on…' : 'Switch on the torrents service'}
          </button>
          {failure && <Notice tone="error">{failure}</Notice>}
        </EmptyState>
      </>
    )
  }

  const list = torrents ?? []
  const shown = list.filter((t) => matches(t, filter))
  const down = list.reduce((n, t) => n + t.downloadRate, 0)
  const up = list.reduce((n, t) => n + t.uploadRate, 0)
  const count = (f: Filter) => list.filter((t) => matches(t, f)).length

  return (
    <>
      <PageHeader
        title="Torrents"
        subtitle={
          <span aria-live="off">
            {list.length} {list.length === 1 ? 'torrent' : 'torrents'} · down {rate(down)} · up {rate(up)}
          </span>
        }
      />
      <AddTorrentForm onAdded={() => void refresh()} />
      {failure && <Notice tone="error">{failure}</Notice>}
      <section class="card card-wide" aria-labelledby="torrent-list-title">
        <div class="torrent-toolbar">
          <h2 id="torrent-list-title">Transfers</h2>
          <label class="inline-field">
            <span>Show</span>
            <select value={filter} onChange={(e) => setFilter(e.currentTarget.value as Filter)}>
              {(['all', 'active', 'downloading', 'seeding', 'paused', 'error'] as const).map((f) => (
                <option key={f} value={f}>
                  {f[0]?.toUpperCase()}
                  {f.slice(1)} ({count(f)})
                </option>
              ))}
            </select>
          </label>
        </div>
        {torrents === null ? (
          <p class="loading">Loading…</p>
        ) : shown.length === 0 ? (
          <EmptyState
            icon="torrents"
            title={list.length === 0 ? 'No torrents yet' : 'None match this filter'}
          >
            <p>
              Add a magnet link or a .torrent file above, or seed a file of this node: its torrent announces
              to the cloud's trackers
              {tracker?.running ? '' : ' (switch one on with `cloudy service enable tracker`)'}.
            </p>
          </EmptyState>
        ) : (
          <DataTable
            caption="Torrents on this node"
            columns={columns(() => void refresh())}
            rows={shown}
            rowKey={(t) => t.infoHash}
            rowLabel={(t) => t.name}
          />
        )}
      </section>
      {stats && <TrackerCard stats={stats} />}
    </>
  )
}
