/**
 * What the node's HTTP API answers (docs/api.md, and the OpenAPI document at
 * /api/v1/openapi.json). The dashboard is a client of the API only.
 */

// The data types are the server's own (type-only imports; only the event names are bundled), so
// client and server cannot drift apart.
export type { PublishInput, ServiceView as Service } from '../../../src/catalogue/types.ts'
export type {
  MemberStatus,
  MemberView as Member,
  NodeResources as Resources,
} from '../../../src/membership/types.ts'
export type {
  BuiltinServiceView as BuiltinService,
  CloudInfo,
  CreatedInvite,
  InviteView as Invite,
  ListenSettings,
  NodeEventName as EventName,
  NodeEvents as EventPayloads,
  NodeStatus,
} from '../../../src/node/views.ts'

import type { ServiceView } from '../../../src/catalogue/types.ts'
import type { InviteView, NodeEventName, NodeEvents } from '../../../src/node/views.ts'

export { NODE_EVENT_NAMES as EVENT_NAMES } from '../../../src/node/views.ts'

export type Quality = NonNullable<ServiceView['quality']>
export type InviteState = InviteView['state']

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

/** One event, as the stream delivers it or as GET /api/v1/events/recent keeps it. */
export type NodeEvent = {
  [K in NodeEventName]: { event: K; data: NodeEvents[K]; at: number; seq?: number }
}[NodeEventName]
