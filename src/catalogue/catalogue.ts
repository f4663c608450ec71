import { z } from 'zod'
import type { Gossip } from '../membership/gossip.ts'
import type { Membership } from '../membership/membership.ts'
import type { Timing } from '../node/config.ts'
import { CloudyError } from '../util/errors.ts'
import type { Logger } from '../util/logger.ts'
import { TypedEmitter } from '../util/typed-emitter.ts'
import {
  isExpired,
  SERVICE_TYPE_RE,
  type ServiceItem,
  serviceItemKind,
  serviceKey,
  TxtSchema,
} from './items.ts'
import type { CatalogueEvents, PublishInput, SearchQuery, ServiceRecord, ServiceView } from './types.ts'

const PublishSchema = z.object({
  type: z
    .string()
    .regex(SERVICE_TYPE_RE, 'a service type is lower-case letters, digits and hyphens, ≤ 63 chars'),
  port: z.number().int().min(1).max(65535),
  description: z.string().max(256).default(''),
  host: z.string().min(1).max(255).optional(),
  txt: TxtSchema.default({}),
  public: z.boolean().default(false),
})

interface LocalService {
  input: z.infer<typeof PublishSchema>
  builtin: boolean
  healthy: boolean
}

export interface CatalogueInit {
  timing: Timing
  /** this node's micro cloud and default service host, read at each publication */
  microCloud: () => string
  defaultHost: () => string
}

export interface CatalogueComponents {
  gossip: Gossip
  membership: Membership
  logger: Logger
  clock: () => number
  /** TCP reachability check used by health checks and quality scans: connect time in ms or null */
  probe: (host: string, port: number) => Promise<number | null>
  /** where this node's own (non-built-in) published services are kept across restarts */
  store: { load(): Promise<PublishInput[]>; save(services: PublishInput[]): Promise<void> }
}

/**
 * The cloud-wide service catalogue: signed soft-state records spread by gossip, re-announced before
 * their TTL runs out, dropped when their node dies or leaves or their health check fails
 * (docs/catalogue.md).
 */
export class Catalogue {
  readonly events = new TypedEmitter<CatalogueEvents>()
  readonly #init: CatalogueInit
  readonly #c: CatalogueComponents
  readonly #local = new Map<string, LocalService>()
  readonly #timers: NodeJS.Timeout[] = []
  #stopped = false

  constructor(init: CatalogueInit, components: CatalogueComponents) {
    this.#init = init
    this.#c = components
    components.gossip.register(serviceItemKind, (item, previous) =>
      this.#onItem(item.record, previous?.record),
    )
    const dropServicesOf = (member: { id: string }) => this.#dropServicesOf(member.id)
    components.membership.events.on('member:died', dropServicesOf)
    components.membership.events.on('member:left', dropServicesOf)
  }

  async start(): Promise<void> {
    for (const input of await this.#c.store.load()) {
      try {
        await this.publish(input)
      } catch (err) {
        this.#c.logger.warn(
          { err: (err as Error).message, type: input.type },
          'a saved service could not be published',
        )
      }
    }
    const { serviceTtlMs, healthCheckIntervalMs } = this.#init.timing
    this.#every(Math.floor(serviceTtlMs / 3), () => this.#reannounce())
    this.#every(healthCheckIntervalMs, () => this.#checkHealth())
    this.#every(serviceTtlMs, () => this.#pruneExpired())
  }

  stop(): void {
    this.#stopped = true
    for (const t of this.#timers) clearInterval(t)
  }

  /** Publishes (or updates) a service of this node. */
  async publish(input: PublishInput, options: { builtin?: boolean } = {}): Promise<ServiceView> {
    const parsed = PublishSchema.safeParse(input)
    if (!parsed.success) throw new CloudyError('INVALID_INPUT', z.prettifyError(parsed.error))
    const key = serviceKey(this.#c.membership.selfId, parsed.data.type, parsed.data.port)
    const builtin = options.builtin ?? false
    const existing = this.#local.get(key)
    if (existing?.builtin && !builtin) {
      throw new CloudyError(
        'CONFLICT',
        `${parsed.data.type} on port ${parsed.data.port} is a built-in service`,
      )
    }
    this.#local.set(key, { input: parsed.data, builtin, healthy: true })
    if (!builtin) await this.#save()
    const record = await this.#announce(this.#local.get(key) as LocalService, false)
    return this.#view(record, this.#c.clock())
  }

  async unpublish(type: string, port: number, options: { builtin?: boolean } = {}): Promise<void> {
    const key = serviceKey(this.#c.membership.selfId, type, port)
    const local = this.#local.get(key)
    if (local === undefined)
      throw new CloudyError('NOT_FOUND', `this node publishes no ${type} service on port ${port}`)
    if (local.builtin && !options.builtin) {
      throw new CloudyError(
        'CONFLICT',
        `${type} is a built-in service: disable it with \`cloudy service disable\``,
      )
    }
    this.#local.delete(key)
    if (!local.builtin) await this.#save()
    await this.#announce(local, true)
  }

  search(query: SearchQuery = {}): ServiceView[] {
    const now = this.#c.clock()
    const host = query.host?.toLowerCase()
    const out: ServiceView[] = []
    for (const { record } of this.#c.gossip.values<ServiceItem>('service')) {
      if (!this.#isLive(record, now)) continue
      if (query.type !== undefined && record.type !== query.type) continue
      const view = this.#view(record, now)
      if (host !== undefined && ![view.nodeName, view.node, view.host].some((h) => h.toLowerCase() === host))
        continue
      if (query.txt && Object.entries(query.txt).some(([k, v]) => record.txt[k] !== v)) continue
      out.push(view)
    }
    return out.sort(
      (a, b) => a.type.localeCompare(b.type) || a.nodeName.localeCompare(b.nodeName) || a.port - b.port,
    )
  }

  /** Measures from this node whether each matching service accepts TCP connections, and how fast. */
  async scanQuality(query: SearchQuery = {}): Promise<ServiceView[]> {
    const views = this.search(query)
    const queue = [...views]
    const worker = async () => {
      for (let v = queue.shift(); v !== undefined; v = queue.shift()) {
        const connectMs = await this.#c.probe(v.host, v.port)
        v.quality = { reachable: connectMs !== null, connectMs, checkedAt: this.#c.clock() }
      }
    }
    await Promise.all(Array.from({ length: Math.min(8, views.length) }, worker))
    return views
  }

  count(): number {
    return this.search().length
  }

  #isLive(record: ServiceRecord, now: number): boolean {
    if (record.removed || isExpired(record, now)) return false
    const status = this.#c.membership.status(record.node)
    return status === 'alive' || status === 'suspect'
  }

  #view(record: ServiceRecord, _now: number): ServiceView {
    const self = record.node === this.#c.membership.selfId
    return {
      type: record.type,
      port: record.port,
      description: record.description,
      host: record.host,
      txt: record.txt,
      microCloud: record.microCloud,
      public: record.public,
      builtin: record.builtin,
      node: record.node,
      nodeName: this.#c.membership.nameOf(record.node) ?? record.node,
      local: self,
      announcedAt: record.seq,
    }
  }

  async #announce(local: LocalService, removed: boolean): Promise<ServiceRecord> {
    const { input, builtin } = local
    const key = serviceKey(this.#c.membership.selfId, input.type, input.port)
    const previous = this.#c.gossip.get<ServiceItem>(key)?.record.seq ?? 0
    const record: ServiceRecord = {
      v: 1,
      node: this.#c.membership.selfId,
      type: input.type,
      port: input.port,
      description: input.description,
      host: input.host ?? this.#init.defaultHost(),
      txt: input.txt,
      microCloud: this.#init.microCloud(),
      public: input.public,
      builtin,
      seq: Math.max(previous + 1, this.#c.clock()),
      ttlMs: this.#init.timing.serviceTtlMs,
      removed,
    }
    await this.#c.gossip.publish({ kind: 'service', by: record.node, record } satisfies ServiceItem)
    return record
  }

  #onItem(record: ServiceRecord, previous: ServiceRecord | undefined): void {
    const now = this.#c.clock()
    const wasLive = previous !== undefined && this.#isLive(previous, now)
    const isLive = this.#isLive(record, now)
    const view = this.#view(record, now)
    if (isLive && !wasLive) this.events.emit('service:published', view)
    else if (isLive && wasLive) {
      if (!sameContent(record, previous)) this.events.emit('service:updated', view)
    } else if (!isLive && wasLive) this.events.emit('service:removed', view)
  }

  #dropServicesOf(node: string): void {
    const now = this.#c.clock()
    for (const { record } of this.#c.gossip.values<ServiceItem>('service')) {
      if (record.node !== node) continue
      this.#c.gossip.forget(serviceKey(record.node, record.type, record.port))
      if (!record.removed && !isExpired(record, now))
        this.events.emit('service:removed', this.#view(record, now))
    }
  }

  async #reannounce(): Promise<void> {
    for (const local of this.#local.values()) if (local.healthy) await this.#announce(local, false)
  }

  async #checkHealth(): Promise<void> {
    for (const local of this.#local.values()) {
      if (local.builtin) continue
      const host = local.input.host ?? this.#init.defaultHost()
      const healthy = (await this.#c.probe(host, local.input.port)) !== null
      if (healthy === local.healthy || this.#stopped) continue
      local.healthy = healthy
      this.#c.logger.info(
        { type: local.input.type, port: local.input.port, healthy },
        'service health changed',
      )
      await this.#announce(local, !healthy)
    }
  }

  #pruneExpired(): void {
    const now = this.#c.clock()
    for (const { record } of this.#c.gossip.values<ServiceItem>('service')) {
      if (isExpired(record, now)) {
        this.#c.gossip.forget(serviceKey(record.node, record.type, record.port))
        if (!record.removed) this.events.emit('service:removed', this.#view(record, now))
      }
    }
  }

  async #save(): Promise<void> {
    await this.#c.store.save([...this.#local.values()].filter((l) => !l.builtin).map((l) => l.input))
  }

  #every(ms: number, fn: () => unknown): void {
    const t = setInterval(() => {
      if (!this.#stopped)
        void Promise.resolve(fn()).catch((err: Error) =>
          this.#c.logger.warn({ err }, 'catalogue task failed'),
        )
    }, ms)
    t.unref()
    this.#timers.push(t)
  }
}

function sameContent(a: ServiceRecord, b: ServiceRecord): boolean {
  return (
    a.description === b.description &&
    a.host === b.host &&
    a.public === b.public &&
    JSON.stringify(a.txt) === JSON.stringify(b.txt) &&
    a.microCloud === b.microCloud
  )
}
