/**
 * What the node's HTTP API answers (docs/api.md, and the OpenAPI document at
 * /api/v1/openapi.json). The dashboard is a client of the API only.
 */

export interface Resources {
  cpuCores: number
  load1: number
  memTotal: number
  memFree: number
  diskTotal: number
  diskFree: number
  contributedStorage: number
}

export interface CloudInfo {
  id: string
  name: string
  keyFingerprint: string
  joinedAt: number
}

export type MemberStatus = 'alive' | 'suspect' | 'dead' | 'left'

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
  resources: Resources
  cloud: CloudInfo | null
  members: Record<MemberStatus, number>
  services: number
}

export interface Member {
  id: string
  name: string
  status: MemberStatus
  self: boolean
  addrs: string[]
  host: string
  apiPort: number
  microCloud: string
  version: string
  roles: string[]
  resources: Resources
  startedAt: number
  uptimeMs: number
  rttMs: number | null
  lastSeen: number | null
  statusSince: number
  relayed: boolean
}

export interface Quality {
  reachable: boolean
  connectMs: number | null
  checkedAt: number
}

export interface Service {
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
  local: boolean
  announcedAt: number
  quality?: Quality
}

export interface PublishInput {
  type: string
  port: number
  description?: string
  host?: string
  txt?: Record<string, string>
  public?: boolean
}

export interface BuiltinService {
  name: string
  description: string
  enabled: boolean
  running: boolean
  options: Record<string, unknown>
}

export type InviteState = 'active' | 'used' | 'expired' | 'revoked'

export interface Invite {
  id: string
  createdAt: number
  expiresAt: number
  state: InviteState
  usedBy?: string
}

export interface CreatedInvite extends Invite {
  code: string
}

export interface ApiToken {
  id: string
  name: string
  createdAt: number
  lastUsedAt: number | null
}

export interface CreatedToken extends ApiToken {
  token: string
}

export interface User {
  username: string
  role: 'admin'
}

export interface Session {
  user: User
  csrfToken: string
}

export interface ListenSettings {
  host: string
  savedHost: string
  restartRequired: boolean
  apiHost: string
  apiPort: number
}

/** The payload of each event of GET /api/v1/events, by event name. */
export interface EventPayloads {
  'member:joined': Member
  'member:updated': Member
  'member:suspected': Member
  'member:recovered': Member
  'member:died': Member
  'member:left': Member
  'service:published': Service
  'service:updated': Service
  'service:removed': Service
  'cloud:created': CloudInfo
  'cloud:joined': CloudInfo
  'cloud:left': { id: string; name: string }
  'invite:created': Invite
  'invite:used': Invite
  'invite:revoked': Invite
  'builtin:enabled': BuiltinService
  'builtin:disabled': BuiltinService
}

export type EventName = keyof EventPayloads

export const EVENT_NAMES = [
  'member:joined',
  'member:updated',
  'member:suspected',
  'member:recovered',
  'member:died',
  'member:left',
  'service:published',
  'service:updated',
  'service:removed',
  'cloud:created',
  'cloud:joined',
  'cloud:left',
  'invite:created',
  'invite:used',
  'invite:revoked',
  'builtin:enabled',
  'builtin:disabled',
] as const satisfies readonly EventName[]

/** One event, as the stream delivers it or as GET /api/v1/events/recent keeps it. */
export type NodeEvent = {
  [K in EventName]: { event: K; data: EventPayloads[K]; at: number; seq?: number }
}[EventName]
