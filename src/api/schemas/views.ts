import { z } from 'zod'

/**
 * What the routes answer, for the OpenAPI document. The handlers return the node's view types
 * (src/node/types.ts); the compiler checks that they fit these schemas. Documented as open objects
 * (no additionalProperties: false): a view may gain fields before its schema here does.
 */

const Millis = z.number().describe('ms since the Unix epoch')

export const CloudInfoView = z.object({
  id: z.string(),
  name: z.string(),
  keyFingerprint: z.string().describe('short fingerprint of the cloud key, never the key'),
  joinedAt: Millis,
})

const ResourcesView = z.object({
  cpuCores: z.number(),
  load1: z.number(),
  memTotal: z.number(),
  memFree: z.number(),
  diskTotal: z.number(),
  diskFree: z.number(),
  contributedStorage: z.number(),
})

export const StatusView = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  host: z.string(),
  apiUrl: z.string(),
  p2pAddrs: z.array(z.string()),
  microCloud: z.string(),
  startedAt: Millis,
  uptimeMs: z.number(),
  resources: ResourcesView,
  cloud: CloudInfoView.nullable(),
  members: z.object({ alive: z.number(), suspect: z.number(), dead: z.number(), left: z.number() }),
  services: z.number(),
})

export const MemberView = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['alive', 'suspect', 'dead', 'left']),
  self: z.boolean(),
  addrs: z.array(z.string()),
  host: z.string(),
  apiPort: z.number(),
  microCloud: z.string(),
  version: z.string(),
  roles: z.array(z.string()),
  resources: ResourcesView,
  startedAt: Millis,
  uptimeMs: z.number(),
  rttMs: z.number().nullable(),
  lastSeen: Millis.nullable(),
  statusSince: Millis,
  relayed: z.boolean(),
})

export const InviteView = z.object({
  id: z.string(),
  createdAt: Millis,
  expiresAt: Millis,
  state: z.enum(['active', 'used', 'expired', 'revoked']),
  usedBy: z.string().optional(),
})

export const CreatedInviteView = InviteView.extend({
  code: z.string().describe('the invite code to hand to the new member; shown once'),
})

export const ServiceView = z.object({
  type: z.string(),
  port: z.number(),
  description: z.string(),
  host: z.string(),
  txt: z.record(z.string(), z.string()),
  microCloud: z.string(),
  public: z.boolean(),
  builtin: z.boolean(),
  node: z.string(),
  nodeName: z.string(),
  local: z.boolean(),
  announcedAt: Millis,
  quality: z
    .object({ reachable: z.boolean(), connectMs: z.number().nullable(), checkedAt: Millis })
    .optional()
    .describe('reachability from this node; present after a scan'),
})

export const BuiltinServiceView = z.object({
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  running: z.boolean(),
  options: z.record(z.string(), z.unknown()),
  port: z.number().optional().describe('the port it listens on, while it runs'),
  error: z.string().optional().describe('why it is enabled but not running'),
})

export const UserView = z.object({ username: z.string(), role: z.literal('admin') })

export const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: Millis,
  lastUsedAt: Millis.nullable(),
})

export const CreatedTokenView = TokenView.extend({
  token: z.string().describe('the API token; shown once'),
})
