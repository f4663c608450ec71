import { type CatalogueEvents, SERVICE_EVENT_NAMES } from '../catalogue/types.ts'
import { MEMBER_EVENT_NAMES, type MembershipEvents, type NodeResources } from '../membership/types.ts'
import { STORAGE_EVENT_NAMES, type StorageEvents } from '../storage/views.ts'
import { TORRENT_EVENT_NAMES, type TorrentEvents } from '../torrents/views.ts'

// What the node's API shows of it: plain data, shared by the server and the dashboard (which must
// not import anything that needs Node).

export interface CloudInfo {
  id: string
  name: string
  /** short hex fingerprint of the cloud key (never the key itself) */
  keyFingerprint: string
  joinedAt: number
}

export interface NodeStatus {
  id: string
  name: string
  version: string
  host: string
  apiUrl: string
  p2pAddrs: string[]
  microCloud: string
  startedAt: number
  uptimeMs: number
  resources: NodeResources
  cloud: CloudInfo | null
  members: { alive: number; suspect: number; dead: number; left: number }
  services: number
}

export interface InviteView {
  id: string
  createdAt: number
  expiresAt: number
  state: 'active' | 'used' | 'expired' | 'revoked'
  usedBy?: string
}

export interface CreatedInvite extends InviteView {
  /** the invite code to hand to the new member; shown once */
  code: string
}

export interface BuiltinServiceView {
  name: string
  description: string
  enabled: boolean
  running: boolean
  options: Record<string, unknown>
  /** the port it listens on, while it runs (services with a lifecycle) */
  port?: number
  /** why it is enabled but not running */
  error?: string
}

/**
 * Where the node listens for overlay and service traffic (config `host`). A change is saved at once
 * and takes effect when the daemon restarts.
 */
export interface ListenSettings {
  /** the address the running node listens on */
  host: string
  /** the address saved for the next start */
  savedHost: string
  /** the saved address differs from the one in use until the daemon restarts */
  restartRequired: boolean
  /** where the HTTP API and the dashboard listen (config `apiHost`, `apiPort`); not changed here */
  apiHost: string
  apiPort: number
}

export type CloudEvents = {
  'cloud:created': CloudInfo
  'cloud:joined': CloudInfo
  'cloud:left': { id: string; name: string }
  'invite:created': InviteView
  'invite:used': InviteView
  'invite:revoked': InviteView
  'builtin:enabled': BuiltinServiceView
  'builtin:disabled': BuiltinServiceView
}

export const CLOUD_EVENT_NAMES = [
  'cloud:created',
  'cloud:joined',
  'cloud:left',
  'invite:created',
  'invite:used',
  'invite:revoked',
  'builtin:enabled',
  'builtin:disabled',
] as const satisfies readonly (keyof CloudEvents)[]

export type NodeEvents = MembershipEvents & CatalogueEvents & CloudEvents & StorageEvents & TorrentEvents
export type NodeEventName = keyof NodeEvents

/** Every event a node emits, in the order the event stream documents them. */
export const NODE_EVENT_NAMES = [
  ...MEMBER_EVENT_NAMES,
  ...SERVICE_EVENT_NAMES,
  ...CLOUD_EVENT_NAMES,
  ...STORAGE_EVENT_NAMES,
  ...TORRENT_EVENT_NAMES,
] as const

/** Fails to compile, naming the event, when CloudEvents gains an event CLOUD_EVENT_NAMES lacks. */
type AssertNone<T extends never> = T
export type _EveryCloudEventListed = AssertNone<
  Exclude<keyof CloudEvents, (typeof CLOUD_EVENT_NAMES)[number]>
>
