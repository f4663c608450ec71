import type { PrivateKey } from '@libp2p/interface'
import type { Message, Overlay } from '../net/types.ts'
import type { Logger } from '../util/logger.ts'
import { type Envelope, open, type SignedPayload, seal } from './envelope.ts'

export const GOSSIP_PROTOCOL = '/cloudy/gossip/1.0.0'
export const SYNC_PROTOCOL = '/cloudy/sync/1.0.0'

/** Versions compare lexicographically; a higher version of a key replaces a lower one. */
export type Version = readonly [number, number]

export function compareVersions(a: Version, b: Version): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1]
}

/** How one kind of gossip item is checked, keyed and versioned. */
export interface ItemKind<T extends SignedPayload> {
  kind: string
  /** Returns the payload when its shape is valid and its signer may say it, else undefined. */
  parse(payload: SignedPayload, now: number): T | undefined
  key(payload: T): string
  version(payload: T): Version
}

interface StoredItem {
  kind: string
  payload: SignedPayload
  env: Envelope
  version: Version
}

export interface GossipInit {
  /** peers a received update is forwarded to */
  fanout: number
  syncIntervalMs: number
}

export interface GossipComponents {
  overlay: Overlay
  privateKey: PrivateKey
  logger: Logger
  clock: () => number
  /** the members to gossip with: alive or suspect, never this node */
  peers: () => string[]
}

type Listener = (payload: SignedPayload, previous: SignedPayload | undefined) => void

const MAX_ITEMS_PER_MESSAGE = 2000

/**
 * Dissemination of signed, versioned items among the members: a new item of this node goes to every
 * peer at once; a node that receives news forwards it to `fanout` random peers; and every
 * `syncIntervalMs` a push-pull exchange of digests with one random peer repairs whatever was missed
 * (docs/membership.md).
 */
export class Gossip {
  readonly #init: GossipInit
  readonly #c: GossipComponents
  readonly #kinds = new Map<string, { kind: ItemKind<SignedPayload>; listener: Listener }>()
  readonly #items = new Map<string, StoredItem>()
  /** signature → key of every stored item: a copy of an item we hold is dropped before any parsing */
  readonly #signatures = new Map<string, string>()
  readonly #tombstones = new Map<string, Version>()
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(init: GossipInit, components: GossipComponents) {
    this.#init = init
    this.#c = components
  }

  register<T extends SignedPayload>(
    kind: ItemKind<T>,
    listener: (payload: T, previous: T | undefined) => void,
  ): void {
    this.#kinds.set(kind.kind, {
      kind: kind as unknown as ItemKind<SignedPayload>,
      listener: listener as Listener,
    })
  }

  async start(): Promise<void> {
    await this.#c.overlay.handle(GOSSIP_PROTOCOL, async (msg, from) => {
      await this.#receive(msg.items, from)
      return undefined
    })
    await this.#c.overlay.handle(SYNC_PROTOCOL, async (msg, from) => this.#answerSync(msg, from))
    this.#scheduleSync()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  get<T extends SignedPayload>(key: string): T | undefined {
    return this.#items.get(key)?.payload as T | undefined
  }

  values<T extends SignedPayload>(kind: string): T[] {
    const out: T[] = []
    for (const item of this.#items.values()) if (item.kind === kind) out.push(item.payload as T)
    return out
  }

  /** Forgets an item locally; older or equal versions of its key are refused from now on. */
  forget(key: string): void {
    const item = this.#items.get(key)
    if (item === undefined) return
    this.#items.delete(key)
    this.#signatures.delete(item.env.s)
    this.#tombstones.set(key, item.version)
  }

  /** Signs an item of this node, stores it and sends it to every peer (plus `extra` peers). */
  async publish<T extends SignedPayload>(payload: T, extra: string[] = []): Promise<void> {
    const env = await seal(payload, this.#c.privateKey)
    const accepted = this.#accept(env, payload)
    if (!accepted) throw new Error(`gossip item of kind ${payload.kind} was refused locally`)
    const targets = new Set([...this.#c.peers(), ...extra])
    this.#sendTo([...targets], [env])
  }

  /** One push-pull anti-entropy round with a peer. */
  async syncWith(peer: string, signal?: AbortSignal): Promise<void> {
    const digest = [...this.#items].map(([key, item]) => [key, item.version[0], item.version[1]])
    const answer = await this.#c.overlay.request(peer, SYNC_PROTOCOL, { digest }, { signal, timeoutMs: 5000 })
    await this.#receive(answer.items, peer)
    const want = Array.isArray(answer.want) ? answer.want : []
    const envs: Envelope[] = []
    for (const key of want.slice(0, MAX_ITEMS_PER_MESSAGE)) {
      const item = typeof key === 'string' ? this.#items.get(key) : undefined
      if (item) envs.push(item.env)
    }
    if (envs.length > 0) await this.#c.overlay.send(peer, GOSSIP_PROTOCOL, { items: envs }).catch(() => {})
  }

  async #answerSync(msg: Message, from: string): Promise<Message> {
    const theirs = new Map<string, Version>()
    if (Array.isArray(msg.digest)) {
      for (const entry of msg.digest.slice(0, 100_000)) {
        if (Array.isArray(entry) && typeof entry[0] === 'string') {
          theirs.set(entry[0], [Number(entry[1]) || 0, Number(entry[2]) || 0])
        }
      }
    }
    const items: Envelope[] = []
    for (const [key, item] of this.#items) {
      const v = theirs.get(key)
      if ((v === undefined || compareVersions(item.version, v) > 0) && items.length < MAX_ITEMS_PER_MESSAGE) {
        items.push(item.env)
      }
    }
    const want: string[] = []
    for (const [key, v] of theirs) {
      const mine = this.#items.get(key)?.version ?? this.#tombstones.get(key)
      if (mine === undefined || compareVersions(v, mine) > 0) want.push(key)
    }
    this.#c.logger.trace({ peer: from, sent: items.length, want: want.length }, 'sync answered')
    return { items, want: want.slice(0, MAX_ITEMS_PER_MESSAGE) }
  }

  async #receive(raw: unknown, from: string): Promise<void> {
    if (!Array.isArray(raw)) return
    const news: Envelope[] = []
    for (const env of raw.slice(0, MAX_ITEMS_PER_MESSAGE)) {
      // most items arrive several times (forwarding, sync): a copy needs no signature check
      if (typeof env === 'object' && env !== null && this.#signatures.has((env as Envelope).s)) continue
      const payload = await open(env)
      if (payload === undefined) {
        this.#c.logger.warn({ peer: from }, 'dropped a gossip item with a bad signature or shape')
        continue
      }
      // An item straight from its signer went to every member the signer knows: forwarding it again
      // would multiply the messages by the fanout for nothing. Second-hand news is forwarded.
      if (this.#accept(env as Envelope, payload) && payload.by !== from) news.push(env as Envelope)
    }
    if (news.length > 0) this.#forward(news, from)
  }

  /** Stores the item if it is valid and newer than what we hold; returns whether it was news. */
  #accept(env: Envelope, raw: SignedPayload): boolean {
    const entry = this.#kinds.get(raw.kind)
    if (entry === undefined) return false
    const payload = entry.kind.parse(raw, this.#c.clock())
    if (payload === undefined) return false
    const key = entry.kind.key(payload)
    const version = entry.kind.version(payload)
    const current = this.#items.get(key)
    const floor = current?.version ?? this.#tombstones.get(key)
    if (floor !== undefined && compareVersions(version, floor) <= 0) return false
    if (current !== undefined) this.#signatures.delete(current.env.s)
    this.#items.set(key, { kind: raw.kind, payload, env, version })
    this.#signatures.set(env.s, key)
    this.#tombstones.delete(key)
    entry.listener(payload, current?.payload)
    return true
  }

  #forward(envs: Envelope[], from: string): void {
    const peers = this.#c.peers().filter((p) => p !== from)
    this.#sendTo(pickRandom(peers, this.#init.fanout), envs)
  }

  #sendTo(peers: string[], envs: Envelope[]): void {
    if (this.#stopped) return
    for (const peer of peers) {
      this.#c.overlay
        .send(peer, GOSSIP_PROTOCOL, { items: envs }, { timeoutMs: 3000 })
        .catch((err: Error) => {
          this.#c.logger.debug({ peer, err: err.message }, 'gossip send failed')
        })
    }
  }

  #scheduleSync(): void {
    if (this.#stopped) return
    const jitter = 0.5 + Math.random()
    this.#timer = setTimeout(() => {
      const [peer] = pickRandom(this.#c.peers(), 1)
      const done = peer
        ? this.syncWith(peer).catch((err: Error) =>
            this.#c.logger.debug({ peer, err: err.message }, 'sync failed'),
          )
        : Promise.resolve()
      void done.finally(() => this.#scheduleSync())
    }, this.#init.syncIntervalMs * jitter)
    this.#timer.unref()
  }
}

/** Up to n distinct random elements. */
export function pickRandom<T>(items: readonly T[], n: number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy.slice(0, n)
}
