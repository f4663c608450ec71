import { useEffect, useRef, useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import type { NodeEvent } from '../../api/types.ts'
import { EmptyState } from '../../components/empty-state.tsx'
import { formatAgo, formatDateTime, formatTime } from '../../components/format.ts'
import { Notice } from '../../components/notice.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { Badge, type Tone } from '../../components/status-badge.tsx'
import { cloudStore } from '../../live/cloud-store.ts'
import { describeEvent, type EventCategory, eventCategory } from '../../live/describe-event.ts'

type Filter = 'all' | EventCategory

const FILTERS: { id: Filter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'member', label: 'Members' },
  { id: 'service', label: 'Services' },
  { id: 'cloud', label: 'Cloud and invites' },
]

const TONE: Record<string, Tone> = {
  'member:joined': 'good',
  'member:recovered': 'good',
  'member:suspected': 'warn',
  'member:died': 'bad',
  'member:left': 'neutral',
  'service:removed': 'neutral',
}

const CATEGORY_LABEL: Record<EventCategory, string> = { member: 'Member', service: 'Service', cloud: 'Cloud' }

type Entry = NodeEvent & { seq: number }

/** The node's recent events (its event log), newest first, following the event stream. */
export default function EventsPage() {
  const [entries, setEntries] = useState<Entry[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [filter, setFilter] = useState<Filter>('all')
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)

  useEffect(() => {
    const load = () =>
      api.recentEvents().then(
        (list) => {
          setEntries(list)
          setError(null)
        },
        (err) => setError(errorText(err)),
      )
    void load()
    // the log is the one source: on every live event, read it again (debounced)
    const off = cloudStore.onEvent(() => {
      clearTimeout(timer.current)
      timer.current = setTimeout(load, 250)
    })
    return () => {
      off()
      clearTimeout(timer.current)
    }
  }, [])

  const shown = (entries ?? [])
    .filter((e) => filter === 'all' || eventCategory(e) === filter)
    .slice()
    .reverse()

  return (
    <>
      <PageHeader
        title="Events"
        subtitle="What happened in the cloud, as this node saw it since it started. Updates live."
      />
      {/* biome-ignore lint/a11y/useSemanticElements: a group of toggle buttons */}
      <div class="filter-bar" role="group" aria-label="Show">
        {FILTERS.map((f) => (
          <button
            key={f.id}
            type="button"
            class="chip"
            aria-pressed={filter === f.id}
            onClick={() => setFilter(f.id)}
          >
            {f.label}
          </button>
        ))}
      </div>
      {error && <Notice tone="error">{error}</Notice>}
      {entries === null && !error ? (
        <p class="loading">Loading…</p>
      ) : shown.length === 0 ? (
        <EmptyState icon="events" title={entries?.length ? 'No events of this kind' : 'No events yet'}>
          <p>
            Events appear here as they happen: members joining, failing or leaving, services published or
            withdrawn, invites created and used. Resource refreshes are left out.
          </p>
        </EmptyState>
      ) : (
        <ol class="event-list" aria-label="Recent events, newest first">
          {shown.map((e) => (
            <li key={e.seq} class="event-row" data-event={e.event}>
              <time class="event-time" dateTime={new Date(e.at).toISOString()} title={formatDateTime(e.at)}>
                <span>{formatTime(e.at)}</span>
                <span class="muted small">{formatAgo(e.at)}</span>
              </time>
              <Badge tone={TONE[e.event] ?? 'info'}>{CATEGORY_LABEL[eventCategory(e)]}</Badge>
              <span class="event-text">{describeEvent(e)}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  )
}
