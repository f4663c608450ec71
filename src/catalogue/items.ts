import { z } from 'zod'
import type { SignedPayload } from '../membership/envelope.ts'
import type { ItemKind } from '../membership/gossip.ts'
import { MAX_CLOCK_SKEW_MS } from '../membership/items.ts'
import type { ServiceRecord } from './types.ts'

/** DNS-SD style service type: letters, digits and hyphens, starting with a letter (RFC 6335). */
export const SERVICE_TYPE_RE = /^[a-z][a-z0-9-]{0,62}$/

export const TxtSchema = z
  .record(z.string().min(1).max(63), z.string().max(255))
  .refine((txt) => Object.keys(txt).length <= 32, 'at most 32 txt entries')

const ServiceRecordSchema = z.object({
  v: z.literal(1),
  node: z.string().min(1).max(128),
  type: z.string().regex(SERVICE_TYPE_RE),
  port: z.number().int().min(1).max(65535),
  description: z.string().max(256),
  host: z.string().min(1).max(255),
  txt: TxtSchema,
  microCloud: z.string().min(1).max(63),
  public: z.boolean(),
  builtin: z.boolean(),
  seq: z.number().int().nonnegative(),
  ttlMs: z.number().int().positive(),
  removed: z.boolean(),
})

export interface ServiceItem extends SignedPayload {
  kind: 'service'
  record: ServiceRecord
}

/** A service record, signed by its node; `seq` is its publication time in ms, so it also ages it. */
export const serviceItemKind: ItemKind<ServiceItem> = {
  kind: 'service',
  parse(payload, now) {
    const record = ServiceRecordSchema.safeParse((payload as Partial<ServiceItem>).record)
    if (!record.success || record.data.node !== payload.by) return undefined
    if (record.data.seq > now + MAX_CLOCK_SKEW_MS) return undefined
    return { kind: 'service', by: payload.by, record: record.data }
  },
  key: (item) => serviceKey(item.record.node, item.record.type, item.record.port),
  version: (item) => [item.record.seq, 0],
}

export function serviceKey(node: string, type: string, port: number): string {
  return `service/${node}/${type}/${port}`
}

export function isExpired(record: ServiceRecord, now: number): boolean {
  return now > record.seq + record.ttlMs
}
