import { z } from 'zod'
import type { SignedPayload } from './envelope.ts'
import type { ItemKind } from './gossip.ts'
import type { NodeRecord } from './types.ts'

/** How far in the future a timestamp from another node may be before it is refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000

const NodeRecordSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(63),
  addrs: z.array(z.string().max(512)).max(32),
  host: z.string().min(1).max(255),
  apiPort: z.number().int().min(0).max(65535),
  microCloud: z.string().min(1).max(63),
  version: z.string().max(64),
  roles: z.array(z.string().max(64)).max(32),
  resources: z.object({
    cpuCores: z.number().nonnegative(),
    load1: z.number().nonnegative(),
    memTotal: z.number().nonnegative(),
    memFree: z.number().nonnegative(),
    diskTotal: z.number().nonnegative(),
    diskFree: z.number().nonnegative(),
    contributedStorage: z.number().nonnegative(),
  }),
  startedAt: z.number().int().nonnegative(),
  incarnation: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
})

export interface NodeItem extends SignedPayload {
  kind: 'node'
  record: NodeRecord
}

/** A node's own record; only the node itself may sign it. Version: (incarnation, seq). */
export const nodeItemKind: ItemKind<NodeItem> = {
  kind: 'node',
  parse(payload) {
    const record = NodeRecordSchema.safeParse((payload as Partial<NodeItem>).record)
    if (!record.success || record.data.id !== payload.by) return undefined
    return { kind: 'node', by: payload.by, record: record.data }
  },
  key: (item) => `node/${item.record.id}`,
  version: (item) => [item.record.incarnation, item.record.seq],
}

export type ClaimStatus = 'suspect' | 'dead' | 'left'

/** Severity order of claims at one incarnation. */
export const CLAIM_RANK: Record<ClaimStatus, number> = { suspect: 1, dead: 2, left: 3 }

export interface ClaimItem extends SignedPayload {
  kind: 'claim'
  subject: string
  status: ClaimStatus
  /** the subject's incarnation the claim is about; a record with a higher incarnation refutes it */
  incarnation: number
  at: number
}

const ClaimSchema = z.object({
  subject: z.string().min(1).max(128),
  status: z.enum(['suspect', 'dead', 'left']),
  incarnation: z.number().int().nonnegative(),
  at: z.number().int().nonnegative(),
})

/**
 * A member's claim about another member's status (suspect, dead) or about itself (left). Keyed per
 * claimant so independent suspicions can be counted. Version: (incarnation, rank).
 */
export const claimItemKind: ItemKind<ClaimItem> = {
  kind: 'claim',
  parse(payload, now) {
    const claim = ClaimSchema.safeParse(payload)
    if (!claim.success) return undefined
    if (claim.data.status === 'left' && claim.data.subject !== payload.by) return undefined
    if (claim.data.status !== 'left' && claim.data.subject === payload.by) return undefined
    if (claim.data.at > now + MAX_CLOCK_SKEW_MS) return undefined
    return { kind: 'claim', by: payload.by, ...claim.data }
  },
  key: (item) => claimKey(item.subject, item.by),
  version: (item) => [item.incarnation, CLAIM_RANK[item.status]],
}

export function claimKey(subject: string, by: string): string {
  return `claim/${subject}/${by}`
}
