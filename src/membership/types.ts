/** Resources a node reports about itself in its signed record. */
export interface NodeResources {
  cpuCores: number
  /** 1-minute load average */
  load1: number
  memTotal: number
  memFree: number
  diskTotal: number
  diskFree: number
  /** bytes this node contributes to the cloud's storage (0 when the storage service is off) */
  contributedStorage: number
}

/**
 * What a node says about itself. Signed by the node's identity key and disseminated by gossip
 * (docs/membership.md). `incarnation` grows on every restart and every refutation of a suspicion;
 * `seq` grows on every change within an incarnation.
 */
export interface NodeRecord {
  v: 1
  id: string
  name: string
  /** overlay multiaddrs with /p2p/<id> */
  addrs: string[]
  /** host that service data (storage, torrents, ...) is reached on */
  host: string
  apiPort: number
  microCloud: string
  version: string
  roles: string[]
  resources: NodeResources
  startedAt: number
  incarnation: number
  seq: number
}

export type MemberStatus = 'alive' | 'suspect' | 'dead' | 'left'

export interface MemberView {
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
  resources: NodeResources
  /** ms since epoch the node started */
  startedAt: number
  uptimeMs: number
  /** round-trip time from this node in ms, when measured */
  rttMs: number | null
  /** when this node last heard from the member, ms since epoch */
  lastSeen: number | null
  /** when the status last changed, ms since epoch */
  statusSince: number
  /** true when the node is reached only through a relay: it is not chosen to serve data */
  relayed: boolean
}

export const MEMBER_EVENT_NAMES = [
  'member:joined',
  'member:updated',
  'member:suspected',
  'member:recovered',
  'member:died',
  'member:left',
] as const

export type MembershipEvents = Record<(typeof MEMBER_EVENT_NAMES)[number], MemberView>
