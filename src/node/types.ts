import {
  type CatalogueEvents,
  type PublishInput,
  SERVICE_EVENT_NAMES,
  type SearchQuery,
  type ServiceView,
} from '../catalogue/types.ts'
import {
  MEMBER_EVENT_NAMES,
  type MembershipEvents,
  type MemberView,
  type NodeResources,
} from '../membership/types.ts'
import type { TypedEmitter } from '../util/typed-emitter.ts'

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

export type NodeEvents = MembershipEvents & CatalogueEvents & CloudEvents
export type NodeEventName = keyof NodeEvents

/** Every event a node emits, in the order the event stream documents them. */
export const NODE_EVENT_NAMES = [...MEMBER_EVENT_NAMES, ...SERVICE_EVENT_NAMES, ...CLOUD_EVENT_NAMES] as const

/** Fails to compile, naming the event, when CloudEvents gains an event CLOUD_EVENT_NAMES lacks. */
type AssertNone<T extends never> = T
export type _EveryCloudEventListed = AssertNone<
  Exclude<keyof CloudEvents, (typeof CLOUD_EVENT_NAMES)[number]>
>

/**
 * What the front-ends (HTTP API, and through it the CLI and dashboard) may do with a running node.
 * Implemented by the composition root; errors are CloudyErrors with stable codes.
 */
export interface CloudyNode {
  readonly events: TypedEmitter<NodeEvents>
  status(): NodeStatus
  members(): MemberView[]

  createCloud(name: string, options?: { force?: boolean }): Promise<CloudInfo>
  joinCloud(invite: string, options?: { force?: boolean }): Promise<CloudInfo>
  leaveCloud(): Promise<void>

  createInvite(options?: { expiresInMs?: number }): Promise<CreatedInvite>
  listInvites(): InviteView[]
  revokeInvite(id: string): Promise<InviteView>

  publish(input: PublishInput): Promise<ServiceView>
  unpublish(type: string, port: number): Promise<void>
  search(query?: SearchQuery): ServiceView[]
  /** Measures reachability of the matching services from this node. */
  scanQuality(query?: SearchQuery, options?: { signal?: AbortSignal }): Promise<ServiceView[]>

  listBuiltinServices(): BuiltinServiceView[]
  enableBuiltinService(name: string, options?: Record<string, unknown>): Promise<BuiltinServiceView>
  disableBuiltinService(name: string): Promise<BuiltinServiceView>

  setName(name: string): Promise<void>
  listenSettings(): ListenSettings
  /** Saves the listen address for the next start; the running node keeps its current one. */
  setListenHost(host: string): Promise<ListenSettings>
}
