import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { errorText } from '../../api/client.ts'
import type { NodeEvent, Service } from '../../api/types.ts'
import { formatBytes, plural } from '../../components/format.ts'
import { Notice } from '../../components/notice.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { cloudStore } from '../../live/cloud-store.ts'
import { useCloud } from '../../live/use-cloud.ts'
import type { PageProps } from '../registry.ts'
import { CapSection } from './cap-section.tsx'
import { ContributionSection } from './contribution-section.tsx'
import { type ServerRow, ServersSection } from './servers-section.tsx'
import { type StorageServers, storageApi } from './storage-api.ts'
import { UploadSection } from './upload-section.tsx'
import './storage.css'

/** how often the servers' health is asked again while the page is open */
const POLL_MS = 15_000
/** events come in bursts (a node's services, a share per upload): one refresh after them */
const SETTLE_MS = 300

/** The names of the files uploaded while the dashboard is open, to save them under the same name. */
const uploadedNames = new Map<string, string>()

const STORAGE_TYPE = 'storage'

/** Whether an event may change what the page shows: a storage server came or went, shares arrived. */
function touchesStorage(e: NodeEvent): boolean {
  if (e.event.startsWith('service:')) return (e.data as Service).type === STORAGE_TYPE
  if (e.event === 'builtin:enabled' || e.event === 'builtin:disabled') return e.data.name === STORAGE_TYPE
  return e.event.startsWith('share:') || e.event === 'member:died' || e.event === 'member:recovered'
}

/**
 * The rows: the storage servers of the live catalogue (so one that appears or goes shows at once),
 * with the health this node measured for each; a server not asked yet says so.
 */
function serverRows(services: Service[], data: StorageServers | null, loaded: boolean): ServerRow[] {
  const health = new Map(data?.servers.map((s) => [s.id, s]))
  const rows = new Map<string, ServerRow>()
  for (const s of services) {
    if (s.type !== STORAGE_TYPE || rows.has(s.node)) continue
    const h = health.get(s.node)
    rows.set(s.node, {
      id: s.node,
      name: s.nodeName,
      host: h ? h.host : s.host,
      port: h ? h.port : s.port,
      self: s.local,
      capacity: h?.capacity ?? null,
      health: h,
    })
  }
  // before the live picture arrives, the API's answer alone
  if (!loaded) {
    for (const h of data?.servers ?? []) {
      rows.set(h.id, {
        id: h.id,
        name: h.name,
        host: h.host,
        port: h.port,
        self: h.self,
        capacity: h.capacity,
        health: h,
      })
    }
  }
  return [...rows.values()].sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name))
}

/** The cloud's storage: its servers and their health, this node's part, and files by cap. */
export default function StoragePage(_props: PageProps) {
  const cloud = useCloud()
  const service = cloud.builtins.find((b) => b.name === STORAGE_TYPE)
  const [data, setData] = useState<StorageServers | null>(null)
  const [checkedAt, setCheckedAt] = useState<number | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [cap, setCap] = useState('')
  const inFlight = useRef(false)
  const again = useRef(false)

  const refresh = useCallback(async () => {
    if (inFlight.current) {
      again.current = true
      return
    }
    inFlight.current = true
    try {
      do {
        again.current = false
        try {
          setData(await storageApi.servers())
          setCheckedAt(Date.now())
          setFailure(null)
        } catch (err) {
          setFailure(errorText(err))
        }
      } while (again.current)
    } finally {
      inFlight.current = false
    }
  }, [])

  useEffect(() => {
    void refresh()
    let settle: ReturnType<typeof setTimeout> | undefined
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh()
    }, POLL_MS)
    const off = cloudStore.onEvent((e) => {
      if (!touchesStorage(e)) return
      clearTimeout(settle)
      settle = setTimeout(() => void refresh(), SETTLE_MS)
    })
    return () => {
      clearInterval(timer)
      clearTimeout(settle)
      off()
    }
  }, [refresh])

  const rows = serverRows(cloud.services, data, cloud.loaded)
  const reachable = rows.filter((r) => r.health?.reachable)
  const free = reachable.reduce((n, r) => n + (r.health?.availableSpace ?? 0), 0)
  const encoding = data?.encoding
  const self = rows.find((r) => r.self)

  return (
    <>
      <PageHeader
        title="Storage"
        subtitle={
          <span aria-live="off">
            {plural(rows.length, 'storage server')} · {reachable.length} reachable · {formatBytes(free)} free
          </span>
        }
      />
      {failure && <Notice tone="error">{failure}</Notice>}
      {encoding && data && reachable.length < encoding.happy && (
        <Notice tone="warning" title="Too few storage servers for an upload">
          An upload needs {encoding.happy} storage servers that answer (servers of happiness); this node
          reaches {reachable.length}. Switch on storage on more members, or lower <code>storage.happy</code>{' '}
          in this node's config.
        </Notice>
      )}
      <ServersSection rows={rows} local={data?.local ?? null} checkedAt={checkedAt} />
      <div class="columns storage-columns">
        <div class="column">
          <UploadSection
            encoding={encoding}
            onUploaded={(uploadedCap, name) => {
              uploadedNames.set(uploadedCap, name)
              setCap(uploadedCap)
              void refresh()
            }}
          />
          <CapSection cap={cap} onCapChange={setCap} nameOf={(c) => uploadedNames.get(c)} />
        </div>
        <div class="column">
          {service && (
            <ContributionSection
              service={service}
              local={data?.local ?? null}
              available={self?.health?.availableSpace ?? null}
              onChanged={() => void refresh()}
            />
          )}
        </div>
      </div>
    </>
  )
}
