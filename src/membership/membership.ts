import type { PrivateKey } from '@libp2p/interface'
import type { Message, Overlay } from '../net/types.ts'
import type { Timing } from '../node/config.ts'
import type { Logger } from '../util/logger.ts'
import { TypedEmitter } from '../util/typed-emitter.ts'
import { type Gossip, pickRandom } from './gossip.ts'
import {
  CLAIM_RANK,
  type ClaimItem,
  type ClaimStatus,
  claimItemKind,
  claimKey,
  type NodeItem,
  nodeItemKind,
} from './items.ts'
import { suspicionTimeout } from './suspicion.ts'
import type { MemberStatus, MembershipEvents, MemberView, NodeRecord } from './types.ts'

export const PROBE_PROTOCOL = '/cloudy/probe/1.0.0'

/** Lifeguard's local health multiplier: probe timeouts grow while this node itself seems slow. */
const MAX_HEALTH_MULTIPLIER = 8

interface MemberState {
  record: NodeRecord
  status: MemberStatus
  statusSince: number
  rttMs: number | null
  lastSeen: number | null
  suspicionTimer?: NodeJS.Timeout
  suspicionStarted?: number
}

export interface MembershipInit {
  timing: Timing
  /** builds this node's record fields (name, addresses, resources, ...) at each announcement */
  describeSelf: () => Promise<Omit<NodeRecord, 'v' | 'id' | 'incarnation' | 'seq' | 'startedAt'>>
  startedAt: number
}

export interface MembershipComponents {
  overlay: Overlay
  gossip: Gossip
  privateKey: PrivateKey
  selfId: string
  logger: Logger
  clock: () => number
}

/**
 * Who is in the cloud and who is alive: signed node records spread by gossip, and failure detection
 * after SWIM with Lifeguard's refinements — direct then indirect probes, suspicion that the suspect
 * can refute by raising its incarnation, a suspicion timeout that shrinks with independent
 * confirmations, and local health awareness (docs/membership.md).
 */
export class Membership {
  readonly events = new TypedEmitter<MembershipEvents>()
  readonly #init: MembershipInit
  readonly #c: MembershipComponents
  readonly #members = new Map<string, MemberState>()
  #incarnation: number
  #seq = 0
  #self: NodeRecord | undefined
  #probeQueue: string[] = []
  #probing = new Set<string>()
  #healthScore = 0
  #timers: NodeJS.Timeout[] = []
  #stopped = false

  constructor(init: MembershipInit, components: MembershipComponents) {
    this.#init = init
    this.#c = components
    this.#incarnation = components.clock()
    components.gossip.register(nodeItemKind, (item) => this.#onRecord(item.record))
    components.gossip.register(claimItemKind, (item) => this.#onClaim(item))
  }

  get selfId(): string {
    return this.#c.selfId
  }

  /** Announces this node and starts probing; `bootstrap` are members to sync with first. */
  async start(bootstrap: { id: string; addrs: string[] }[]): Promise<void> {
    const { overlay, timing } = { overlay: this.#c.overlay, timing: this.#init.timing }
    await overlay.handle(PROBE_PROTOCOL, (msg) => this.#answerProbe(msg))
    // A peer found by other means (mDNS on the LAN) holds the cloud key: exchange state with it.
    overlay.events.on('peer:connected', ({ peer }) => {
      if (!this.#members.has(peer) && peer !== this.#c.selfId && !this.#stopped) {
        void this.#c.gossip.syncWith(peer).catch(() => {})
      }
    })
    overlay.events.on('peer:disconnected', ({ peer }) => {
      const m = this.#members.get(peer)
      if (m && (m.status === 'alive' || m.status === 'suspect')) void this.#probe(peer)
    })
    for (const peer of bootstrap) {
      if (peer.id !== this.#c.selfId) await overlay.addPeerAddresses(peer.id, peer.addrs).catch(() => {})
    }
    await this.announce(bootstrap.map((b) => b.id).filter((id) => id !== this.#c.selfId))
    this.#every(timing.probeIntervalMs, () => this.#probeNext())
    this.#every(timing.recordRefreshMs, () => this.announce())
    this.#every(timing.reconnectIntervalMs, () => this.#reconnect())
    this.#every(Math.min(timing.deadRetentionMs, 60_000), () => this.#forgetDeparted())
    void this.#bootstrapSync(bootstrap.map((b) => b.id).filter((id) => id !== this.#c.selfId))
  }

  /** Sends a fresh self record (new seq) to every member. */
  async announce(extra: string[] = []): Promise<void> {
    if (this.#stopped) return
    const described = await this.#init.describeSelf()
    this.#seq = Math.max(this.#seq + 1, this.#c.clock())
    const record: NodeRecord = {
      v: 1,
      id: this.#c.selfId,
      startedAt: this.#init.startedAt,
      incarnation: this.#incarnation,
      seq: this.#seq,
      ...described,
    }
    this.#self = record
    await this.#c.gossip.publish({ kind: 'node', by: this.#c.selfId, record } satisfies NodeItem, extra)
  }

  /** Tells every member this node leaves, then stops. */
  async leave(): Promise<void> {
    if (this.#stopped) return
    const claim: ClaimItem = {
      kind: 'claim',
      by: this.#c.selfId,
      subject: this.#c.selfId,
      status: 'left',
      incarnation: this.#incarnation,
      at: this.#c.clock(),
    }
    await this.#c.gossip.publish(claim)
    // Give the sends a moment to leave before the overlay closes; a leave that does not arrive is
    // detected as a death instead.
    await new Promise((resolve) => setTimeout(resolve, 200))
    this.stop()
  }

  stop(): void {
    this.#stopped = true
    for (const t of this.#timers) clearInterval(t)
    for (const m of this.#members.values()) clearTimeout(m.suspicionTimer)
  }

  members(): MemberView[] {
    const now = this.#c.clock()
    const views = [...this.#members.values()].map((m) => this.#view(m, now))
    const self = this.#selfView(now)
    if (self) views.push(self)
    return views.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
  }

  member(id: string): MemberView | undefined {
    const now = this.#c.clock()
    if (id === this.#c.selfId) return this.#selfView(now)
    const m = this.#members.get(id)
    return m && this.#view(m, now)
  }

  #selfView(now: number): MemberView | undefined {
    if (!this.#self) return undefined
    const entry = {
      record: this.#self,
      status: 'alive' as const,
      statusSince: this.#init.startedAt,
      rttMs: 0,
    }
    return this.#view({ ...entry, lastSeen: now }, now)
  }

  /** The name of a member (cheap: for every record of a catalogue search). */
  nameOf(id: string): string | undefined {
    return id === this.#c.selfId ? this.#self?.name : this.#members.get(id)?.record.name
  }

  status(id: string): MemberStatus | undefined {
    return id === this.#c.selfId ? 'alive' : this.#members.get(id)?.status
  }

  /** Members to talk to: alive or suspect, not this node. */
  livePeers(): string[] {
    const out: string[] = []
    for (const [id, m] of this.#members) if (m.status === 'alive' || m.status === 'suspect') out.push(id)
    return out
  }

  /** Id and addresses of every live member, for rejoining after a restart. */
  knownPeers(): { id: string; addrs: string[] }[] {
    return this.livePeers().map((id) => ({ id, addrs: this.#members.get(id)?.record.addrs ?? [] }))
  }

  #view(m: MemberState, now: number): MemberView {
    const r = m.record
    const self = r.id === this.#c.selfId
    return {
      id: r.id,
      name: r.name,
      status: m.status,
      self,
      addrs: r.addrs,
      host: r.host,
      apiPort: r.apiPort,
      microCloud: r.microCloud,
      version: r.version,
      roles: r.roles,
      resources: r.resources,
      startedAt: r.startedAt,
      uptimeMs: m.status === 'alive' || m.status === 'suspect' ? Math.max(0, now - r.startedAt) : 0,
      rttMs: m.rttMs,
      lastSeen: m.lastSeen,
      statusSince: m.statusSince,
      relayed: !self && this.#c.overlay.isConnected(r.id) && this.#c.overlay.isRelayed(r.id),
    }
  }

  #every(ms: number, fn: () => unknown): void {
    const t = setInterval(() => {
      if (!this.#stopped)
        void Promise.resolve(fn()).catch((err: Error) =>
          this.#c.logger.warn({ err }, 'membership task failed'),
        )
    }, ms)
    t.unref()
    this.#timers.push(t)
  }

  async #bootstrapSync(peers: string[]): Promise<void> {
    let delay = 500
    while (!this.#stopped && peers.length > 0) {
      for (const peer of pickRandom(peers, peers.length)) {
        try {
          await this.#c.gossip.syncWith(peer)
          this.#c.logger.info({ peer }, 'synchronised with a member')
          // Now that this node knows the members, tell every one of them about itself directly.
          await this.announce()
          return
        } catch (err) {
          this.#c.logger.debug({ peer, err: (err as Error).message }, 'bootstrap sync failed')
        }
      }
      if (this.livePeers().length > 0) return
      await new Promise((resolve) => setTimeout(resolve, delay).unref())
      delay = Math.min(delay * 2, 10_000)
    }
  }

  // --- state changes ------------------------------------------------------------------------

  #onRecord(record: NodeRecord): void {
    if (record.id === this.#c.selfId) {
      // An older incarnation of ourselves (from before a restart) still circulates: outgrow it.
      if (record.incarnation >= this.#incarnation && record.seq !== this.#seq)
        this.#refute(record.incarnation)
      return
    }
    void this.#c.overlay.addPeerAddresses(record.id, record.addrs).catch(() => {})
    const m = this.#members.get(record.id)
    if (m === undefined) {
      const state: MemberState = {
        record,
        status: 'alive',
        statusSince: this.#c.clock(),
        rttMs: null,
        lastSeen: null,
      }
      this.#members.set(record.id, state)
      this.#recompute(state, true)
      return
    }
    const newIncarnation = record.incarnation > m.record.incarnation
    m.record = record
    if (newIncarnation) this.#forgetClaimsBefore(record.id, record.incarnation)
    this.#recompute(m, false)
  }

  #onClaim(claim: ClaimItem): void {
    if (claim.subject === this.#c.selfId) {
      if (claim.status !== 'left' && claim.incarnation >= this.#incarnation) this.#refute(claim.incarnation)
      return
    }
    const m = this.#members.get(claim.subject)
    if (m) this.#recompute(m, false)
  }

  /** Raises this node's incarnation above a claim about it and announces the new record. */
  #refute(incarnation: number): void {
    if (this.#stopped) return
    this.#incarnation = Math.max(incarnation + 1, this.#c.clock())
    this.#healthScore = Math.min(MAX_HEALTH_MULTIPLIER, this.#healthScore + 1)
    this.#c.logger.info({ incarnation: this.#incarnation }, 'refuting a suspicion about this node')
    void this.announce().catch((err: Error) => this.#c.logger.warn({ err }, 'refutation failed'))
  }

  /** Current claims about a member that are not refuted by its record's incarnation. */
  #claimsAbout(id: string, incarnation: number): ClaimItem[] {
    return this.#c.gossip
      .values<ClaimItem>('claim')
      .filter((c) => c.subject === id && c.incarnation >= incarnation)
  }

  #forgetClaimsBefore(id: string, incarnation: number): void {
    for (const c of this.#c.gossip.values<ClaimItem>('claim')) {
      if (c.subject === id && c.incarnation < incarnation) this.#c.gossip.forget(claimItemKind.key(c))
    }
  }

  #recompute(m: MemberState, isNew: boolean): void {
    const claims = this.#claimsAbout(m.record.id, m.record.incarnation)
    let worst: ClaimStatus | undefined
    for (const c of claims)
      if (worst === undefined || CLAIM_RANK[c.status] > CLAIM_RANK[worst]) worst = c.status
    const status: MemberStatus = worst ?? 'alive'
    const previous = isNew ? undefined : m.status
    if (status !== previous) {
      m.status = status
      m.statusSince = this.#c.clock()
    }
    this.#manageSuspicion(m, claims)
    // Check a fresh suspicion at once: a confirmation shortens the timeout (and a member that answers
    // is left for its own refutation to clear).
    if (status === 'suspect' && previous === 'alive') void this.#probe(m.record.id)
    const view = this.#view(m, this.#c.clock())
    if (previous === status) {
      this.events.emit('member:updated', view)
    } else if (status === 'alive') {
      if (previous === 'suspect') this.events.emit('member:recovered', view)
      else this.events.emit('member:joined', view)
    } else if (status === 'suspect') {
      if (previous === undefined) this.events.emit('member:joined', view)
      this.events.emit('member:suspected', view)
    } else if (status === 'dead') {
      this.events.emit('member:died', view)
    } else {
      this.events.emit('member:left', view)
    }
    if (status === 'dead' || status === 'left') void this.#c.overlay.disconnect(m.record.id).catch(() => {})
  }

  #manageSuspicion(m: MemberState, claims: ClaimItem[]): void {
    if (m.status !== 'suspect') {
      clearTimeout(m.suspicionTimer)
      m.suspicionTimer = undefined
      m.suspicionStarted = undefined
      return
    }
    const { suspicionMinMs, suspicionMaxMs } = this.#init.timing
    const suspectors = new Set(claims.filter((c) => c.status === 'suspect').map((c) => c.by))
    const timeout = suspicionTimeout(suspectors.size - 1, suspicionMinMs, suspicionMaxMs)
    m.suspicionStarted ??= this.#c.clock()
    clearTimeout(m.suspicionTimer)
    const remaining = Math.max(0, m.suspicionStarted + timeout - this.#c.clock())
    m.suspicionTimer = setTimeout(() => void this.#claim(m.record.id, 'dead'), remaining)
    m.suspicionTimer.unref()
  }

  async #claim(subject: string, status: 'suspect' | 'dead'): Promise<void> {
    const m = this.#members.get(subject)
    if (this.#stopped || m === undefined) return
    if (status === 'dead' && m.status !== 'suspect') return
    // A suspicion another member raised is confirmed by this node's own claim (Lifeguard counts
    // independent suspicions to shorten the timeout), but each member claims once per incarnation.
    if (status === 'suspect') {
      if (m.status !== 'alive' && m.status !== 'suspect') return
      const mine = this.#c.gossip.get<ClaimItem>(claimKey(subject, this.#c.selfId))
      if (mine && mine.incarnation >= m.record.incarnation) return
    }
    this.#c.logger.info({ member: subject, name: m.record.name, status }, `declaring a member ${status}`)
    const claim: ClaimItem = {
      kind: 'claim',
      by: this.#c.selfId,
      subject,
      status,
      incarnation: m.record.incarnation,
      at: this.#c.clock(),
    }
    // The suspect must hear the suspicion to refute it, so it is sent to it as well.
    await this.#c.gossip.publish(claim, status === 'suspect' ? [subject] : [])
  }

  /**
   * Tries to reach one member believed dead. If it answers, the exchange hands each side the other's
   * death claims, both refute them with a new incarnation, and a second exchange spreads the
   * refutations: a healed partition merges again.
   */
  async #reconnect(): Promise<void> {
    const dead = [...this.#members.values()].filter((m) => m.status === 'dead').map((m) => m.record.id)
    const [peer] = pickRandom(dead, 1)
    if (peer === undefined) return
    try {
      await this.#c.gossip.syncWith(peer)
    } catch {
      return
    }
    this.#c.logger.info({ member: peer }, 'reached a member believed dead')
    await new Promise((resolve) => setTimeout(resolve, this.#init.timing.probeTimeoutMs).unref())
    await this.#c.gossip.syncWith(peer).catch(() => {})
  }

  #forgetDeparted(): void {
    const cutoff = this.#c.clock() - this.#init.timing.deadRetentionMs
    for (const [id, m] of this.#members) {
      if ((m.status === 'dead' || m.status === 'left') && m.statusSince < cutoff) {
        this.#members.delete(id)
        this.#c.gossip.forget(nodeItemKind.key({ kind: 'node', by: id, record: m.record }))
        for (const c of this.#c.gossip.values<ClaimItem>('claim')) {
          if (c.subject === id) this.#c.gossip.forget(claimItemKind.key(c))
        }
      }
    }
  }

  // --- failure detection ----------------------------------------------------------------------

  #probeNext(): void {
    if (this.#probeQueue.length === 0)
      this.#probeQueue = pickRandom(this.livePeers(), Number.MAX_SAFE_INTEGER)
    const target = this.#probeQueue.shift()
    if (target !== undefined) void this.#probe(target)
  }

  #probeTimeout(): number {
    return this.#init.timing.probeTimeoutMs * (1 + this.#healthScore)
  }

  async #probe(target: string): Promise<void> {
    const m = this.#members.get(target)
    if (m === undefined || this.#probing.has(target) || (m.status !== 'alive' && m.status !== 'suspect'))
      return
    this.#probing.add(target)
    try {
      if (await this.#ping(target, this.#probeTimeout())) {
        this.#healthScore = Math.max(0, this.#healthScore - 1)
        return
      }
      const helpers = pickRandom(
        this.livePeers().filter((p) => p !== target && this.#members.get(p)?.status === 'alive'),
        this.#init.timing.indirectProbes,
      )
      const timeoutMs = Math.max(this.#probeTimeout(), this.#init.timing.probeIntervalMs)
      const results = await Promise.all(
        helpers.map((h) =>
          this.#c.overlay
            .request(h, PROBE_PROTOCOL, { t: 'ping-req', target, timeoutMs }, { timeoutMs: timeoutMs + 500 })
            .then((r) => r.ok === true)
            .catch(() => false),
        ),
      )
      if (results.some(Boolean)) {
        // Others reach the target, so the slowness is likely ours (Lifeguard's local health) — unless
        // this node never reached the target directly: then the path, not this node, is at fault.
        if (m.lastSeen !== null) this.#healthScore = Math.min(MAX_HEALTH_MULTIPLIER, this.#healthScore + 1)
        return
      }
      await this.#claim(target, 'suspect')
    } finally {
      this.#probing.delete(target)
    }
  }

  async #ping(target: string, timeoutMs: number): Promise<boolean> {
    const started = performance.now()
    try {
      await this.#c.overlay.request(target, PROBE_PROTOCOL, { t: 'ping' }, { timeoutMs })
      const rtt = performance.now() - started
      const m = this.#members.get(target)
      if (m) {
        m.rttMs = m.rttMs === null ? rtt : Math.round((0.7 * m.rttMs + 0.3 * rtt) * 100) / 100
        m.lastSeen = this.#c.clock()
      }
      return true
    } catch {
      return false
    }
  }

  async #answerProbe(msg: Message): Promise<Message> {
    if (msg.t === 'ping') return { ok: true, incarnation: this.#incarnation }
    if (msg.t === 'ping-req' && typeof msg.target === 'string') {
      const timeoutMs = Math.min(Math.max(Number(msg.timeoutMs) || 1000, 100), 10_000)
      return { ok: await this.#ping(msg.target, timeoutMs) }
    }
    return { ok: false, error: 'unknown probe message' }
  }
}
