/**
 * A published service. Signed by the publishing node and disseminated by gossip; soft state: the
 * publisher re-announces it before `ttlMs` runs out, and every node drops it after `ttlMs` without
 * news (docs/catalogue.md).
 */
export interface ServiceRecord {
  v: 1
  node: string
  type: string
  port: number
  description: string
  host: string
  txt: Record<string, string>
  microCloud: string
  /** mirrored to DNS-SD on the LAN; never set on a record that holds a secret */
  public: boolean
  /** set by the node for its built-in services (storage, tracker, ...) */
  builtin: boolean
  seq: number
  ttlMs: number
  /** true for a withdrawal: the record is kept as a tombstone until its TTL runs out */
  removed: boolean
}

export interface ServiceView {
  type: string
  port: number
  description: string
  host: string
  txt: Record<string, string>
  microCloud: string
  public: boolean
  builtin: boolean
  node: string
  nodeName: string
  /** the publishing node is this node */
  local: boolean
  /** ms since epoch the record was last announced */
  announcedAt: number
  /** reachability from this node: TCP connect time in ms, null if unreachable, undefined if not scanned */
  quality?: { reachable: boolean; connectMs: number | null; checkedAt: number }
}

export interface PublishInput {
  type: string
  port: number
  description?: string
  host?: string
  txt?: Record<string, string>
  public?: boolean
}

export interface SearchQuery {
  type?: string
  /** node name, node id or host */
  host?: string
  txt?: Record<string, string>
}

/**
 * txt keys whose values are credentials (a storage server's NURL): members' nodes use them, but
 * the API, the event stream and the dashboard show them redacted.
 */
export const SECRET_TXT_KEYS: ReadonlySet<string> = new Set(['nurl'])

/** The view with every secret txt value replaced by a placeholder. */
export function redactSecrets(view: ServiceView): ServiceView {
  if (!Object.keys(view.txt).some((key) => SECRET_TXT_KEYS.has(key))) return view
  const txt: Record<string, string> = {}
  for (const [key, value] of Object.entries(view.txt))
    txt[key] = SECRET_TXT_KEYS.has(key) ? '(secret)' : value
  return { ...view, txt }
}

export const SERVICE_EVENT_NAMES = ['service:published', 'service:updated', 'service:removed'] as const

export type CatalogueEvents = Record<(typeof SERVICE_EVENT_NAMES)[number], ServiceView>
