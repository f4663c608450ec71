import type { EventEmitter } from 'node:events'
import { isIP, isIPv4 } from 'node:net'
import { Bonjour, type Service, type ServiceConfig } from 'bonjour-service'
import type { Logger } from '../util/logger.ts'
import type { Catalogue } from './catalogue.ts'
import { type CatalogueEvents, SERVICE_EVENT_NAMES, type ServiceView } from './types.ts'

/** One DNS-SD service instance this node announces on its LAN (docs/catalogue.md, "DNS-SD mirror"). */
export interface DnsSdAnnouncement {
  /** `type/port`: a node publishes at most one service per type and port */
  key: string
  /** instance name: the description, or `<type> on <hostName>`; unique among this node's announcements */
  name: string
  /** the catalogue type; the DNS-SD service type is `_<type>._tcp` */
  type: string
  port: number
  /** SRV target: `<host label>.local`, whose A record is the mirror's interface address */
  host: string
  txt: Record<string, string>
}

export interface DnsSdChange {
  op: 'publish' | 'unpublish'
  announcement: DnsSdAnnouncement
}

export type CatalogueEventName = keyof CatalogueEvents

/** RFC 6763 §4.1.1: an instance name is at most 63 octets of UTF-8 */
const MAX_INSTANCE_NAME_BYTES = 63
/** how many alternative names (`name #2`, `name #3`, ...) to try when another host owns the name */
const MAX_NAME_ATTEMPTS = 5

/**
 * Why an address cannot carry the mirror (loopback, unspecified, not IPv4), or null when it can.
 * mDNS must never run on a loopback-only node.
 */
export function unusableMirrorAddress(address: string): string | null {
  if (!isIPv4(address)) return `${address} is not an IPv4 interface address`
  if (address.startsWith('127.')) return `${address} is a loopback address`
  if (address === '0.0.0.0') return 'an unspecified address names no interface'
  return null
}

/**
 * Why a catalogue record is not mirrored, or null when it is. Only this node's own public records are
 * mirrored, and only when LAN clients can reach them at the mirror's interface address: a record whose
 * host is a loopback address, or an IP address of another interface or machine, is not.
 */
export function whyNotMirrored(view: ServiceView, interfaceAddress: string): string | null {
  if (!view.local) return 'published by another node'
  if (!view.public) return 'not public'
  const host = view.host.toLowerCase()
  if (host === 'localhost' || host === '::1' || host.startsWith('127.') || host.startsWith('::ffff:127.')) {
    return 'its host is a loopback address, unreachable from the LAN'
  }
  if (isIP(host) !== 0 && host !== interfaceAddress && host !== '0.0.0.0' && host !== '::') {
    return `its host ${view.host} is not this node's LAN address ${interfaceAddress}`
  }
  return null
}

/** A DNS label made of a node name: lower-case letters, digits and hyphens, ≤ 63 characters. */
export function dnsLabel(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '')
  return label === '' ? 'cloudy' : label
}

/** `name` with `suffix`, cut so the whole stays within 63 octets; dots become hyphens (bonjour-service does so too). */
export function instanceName(name: string, suffix = ''): string {
  const room = MAX_INSTANCE_NAME_BYTES - Buffer.byteLength(suffix)
  let base = name.replaceAll('.', '-').trim()
  while (Buffer.byteLength(base) > room) base = [...base].slice(0, -1).join('')
  return `${base.trim()}${suffix}`
}

export interface DnsSdPlanInit {
  hostName: string
  interfaceAddress: string
}

/**
 * The decision half of the mirror, free of I/O: folds catalogue events into the set of DNS-SD
 * announcements this node should make, and returns the changes to that set.
 */
export class DnsSdPlan {
  readonly #init: DnsSdPlanInit
  readonly #host: string
  readonly #current = new Map<string, DnsSdAnnouncement>()

  constructor(init: DnsSdPlanInit) {
    this.#init = init
    this.#host = `${dnsLabel(init.hostName)}.local`
  }

  /** The changes that bring the announcements in line with the catalogue after `event` about `view`. */
  apply(event: CatalogueEventName, view: ServiceView): DnsSdChange[] {
    if (!view.local) return []
    const key = `${view.type}/${view.port}`
    const existing = this.#current.get(key)
    const wanted = event !== 'service:removed' && whyNotMirrored(view, this.#init.interfaceAddress) === null
    if (!wanted) {
      if (existing === undefined) return []
      this.#current.delete(key)
      return [{ op: 'unpublish', announcement: existing }]
    }
    const desired: DnsSdAnnouncement = {
      key,
      name: this.#uniqueName(key, view.description.trim() || `${view.type} on ${this.#init.hostName}`),
      type: view.type,
      port: view.port,
      host: this.#host,
      txt: { ...view.txt },
    }
    if (existing !== undefined && sameAnnouncement(existing, desired)) return []
    this.#current.set(key, desired)
    const publish: DnsSdChange = { op: 'publish', announcement: desired }
    return existing === undefined ? [publish] : [{ op: 'unpublish', announcement: existing }, publish]
  }

  /** Forgets every announcement and returns them, for withdrawal. */
  clear(): DnsSdAnnouncement[] {
    const all = [...this.#current.values()]
    this.#current.clear()
    return all
  }

  announcements(): DnsSdAnnouncement[] {
    return [...this.#current.values()].sort((a, b) => a.key.localeCompare(b.key))
  }

  #uniqueName(key: string, base: string): string {
    const taken = new Set(
      [...this.#current.values()].filter((a) => a.key !== key).map((a) => a.name.toLowerCase()),
    )
    let name = instanceName(base)
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = instanceName(base, ` #${n}`)
    return name
  }
}

function sameAnnouncement(a: DnsSdAnnouncement, b: DnsSdAnnouncement): boolean {
  return a.name === b.name && a.host === b.host && JSON.stringify(a.txt) === JSON.stringify(b.txt)
}

/** The side-effect half: announces and withdraws DNS-SD instances on the LAN. */
export interface DnsSdResponder {
  publish(announcement: DnsSdAnnouncement): void
  /** withdraws an announcement; resolves once its goodbye packets are sent */
  unpublish(announcement: DnsSdAnnouncement): Promise<void>
  /** withdraws whatever is left and releases the sockets */
  close(): Promise<void>
}

export interface DnsSdMirrorInit {
  /** this node's name; made unique per node by the caller (it becomes the `<label>.local` host name) */
  hostName: string
  /** the non-loopback IPv4 address the node listens on; announcements go out on its interface only */
  interfaceAddress: string
}

export interface DnsSdMirrorComponents {
  catalogue: Pick<Catalogue, 'events' | 'search'>
  logger: Logger
  /** defaults to bonjour-service bound to the interface address; tests pass a recorder */
  responder?: DnsSdResponder
}

export interface DnsSdMirror {
  /** false when the mirror refused its address and does nothing */
  readonly enabled: boolean
  /** announces this node's public services now and keeps the LAN in step with the catalogue */
  start(): void
  /** withdraws every announcement (goodbye packets) and closes the sockets */
  stop(): Promise<void>
  announcements(): DnsSdAnnouncement[]
}

/**
 * Mirrors the public services this node publishes to DNS-SD (mDNS) on the LAN of `interfaceAddress`,
 * so `avahi-browse` and other DNS-SD browsers see them. Create it only for a node that listens on a
 * non-loopback address; given a loopback address it logs a warning and does nothing.
 */
export function createDnsSdMirror(init: DnsSdMirrorInit, components: DnsSdMirrorComponents): DnsSdMirror {
  const refused = unusableMirrorAddress(init.interfaceAddress)
  if (refused !== null) {
    components.logger.warn({ reason: refused }, 'DNS-SD mirror disabled: mDNS runs only on a LAN interface')
    return { enabled: false, start() {}, stop: async () => {}, announcements: () => [] }
  }
  return new ActiveDnsSdMirror(init, components)
}

class ActiveDnsSdMirror implements DnsSdMirror {
  readonly enabled = true
  readonly #init: DnsSdMirrorInit
  readonly #c: DnsSdMirrorComponents
  readonly #plan: DnsSdPlan
  readonly #off: (() => void)[] = []
  readonly #pending = new Set<Promise<void>>()
  #responder: DnsSdResponder | undefined
  #state: 'new' | 'started' | 'stopped' = 'new'

  constructor(init: DnsSdMirrorInit, components: DnsSdMirrorComponents) {
    this.#init = init
    this.#c = components
    this.#plan = new DnsSdPlan(init)
  }

  start(): void {
    if (this.#state !== 'new') return
    this.#state = 'started'
    this.#responder = this.#c.responder ?? createBonjourResponder(this.#init, { logger: this.#c.logger })
    for (const event of SERVICE_EVENT_NAMES) {
      this.#off.push(this.#c.catalogue.events.on(event, (view) => this.#apply(event, view)))
    }
    for (const view of this.#c.catalogue.search()) this.#apply('service:published', view)
    this.#c.logger.info(
      { address: this.#init.interfaceAddress, announcements: this.#plan.announcements().length },
      'DNS-SD mirror started',
    )
  }

  async stop(): Promise<void> {
    if (this.#state !== 'started') {
      this.#state = 'stopped'
      return
    }
    this.#state = 'stopped'
    for (const off of this.#off.splice(0)) off()
    const responder = this.#responder as DnsSdResponder
    for (const announcement of this.#plan.clear()) this.#track(responder.unpublish(announcement))
    await Promise.all(this.#pending)
    await responder.close()
  }

  announcements(): DnsSdAnnouncement[] {
    return this.#plan.announcements()
  }

  #apply(event: CatalogueEventName, view: ServiceView): void {
    if (this.#state !== 'started') return
    const responder = this.#responder as DnsSdResponder
    for (const { op, announcement } of this.#plan.apply(event, view)) {
      const fields = { type: announcement.type, port: announcement.port, name: announcement.name }
      if (op === 'publish') {
        this.#c.logger.info(fields, 'mirroring a public service to DNS-SD')
        // this runs inside the catalogue's event emission: a failure here must stay here
        try {
          responder.publish(announcement)
        } catch (err) {
          this.#c.logger.warn({ ...fields, err: (err as Error).message }, 'DNS-SD announcement failed')
        }
      } else {
        this.#c.logger.info(fields, 'withdrawing a service from DNS-SD')
        this.#track(responder.unpublish(announcement))
      }
    }
  }

  #track(work: Promise<void>): void {
    const p = work.catch((err: Error) =>
      this.#c.logger.warn({ err: err.message }, 'DNS-SD withdrawal failed'),
    )
    this.#pending.add(p)
    void p.finally(() => this.#pending.delete(p))
  }
}

interface BonjourEntry {
  announcement: DnsSdAnnouncement
  bonjour: Bonjour
  service: Service
  attempt: number
  /** our records went out at least once, so a withdrawal owes the LAN goodbyes */
  announced: boolean
  stopping: boolean
}

/**
 * DNS-SD over bonjour-service 1.4.4, one Bonjour instance per announcement, because its responder
 * drops registered records *by name*: withdrawing one service from a shared instance would also drop
 * the `_<type>._tcp.local` PTR of a sibling of the same type and the node's host A record. Each
 * service's `records()` is wrapped to (1) advertise only the interface address, not every address of
 * the machine, (2) keep shared records (host A, type enumeration) out of a goodbye while a sibling
 * still uses them, and (3) send nothing when bonjour-service gives the name up after a probe found it
 * taken (it would otherwise send goodbyes for the other host's name); the mirror retries as `name #2`.
 */
export function createBonjourResponder(
  init: DnsSdMirrorInit,
  components: { logger: Logger },
): DnsSdResponder {
  const { interfaceAddress } = init
  const log = components.logger
  const entries = new Map<string, BonjourEntry>()

  const sharedBySibling = (entry: BonjourEntry, record: { type: string; name: string }): boolean => {
    const siblings = [...entries.values()].filter((e) => e !== entry && !e.stopping)
    if (record.type === 'A' || record.type === 'AAAA') return siblings.length > 0
    if (record.name === '_services._dns-sd._udp.local') {
      return siblings.some((e) => e.announcement.type === entry.announcement.type)
    }
    return false
  }

  const start = (announcement: DnsSdAnnouncement, attempt: number): void => {
    // bonjour-service hands these options to multicast-dns but types them as a ServiceConfig
    const mdnsOptions = { interface: interfaceAddress, bind: '0.0.0.0', loopback: true }
    const bonjour = new Bonjour(mdnsOptions as unknown as Partial<ServiceConfig>, (err: Error) =>
      log.warn({ err: err.message, type: announcement.type }, 'DNS-SD send failed'),
    )
    // multicast-dns emits 'error' (port in use, no permission) with no listener attached: it would crash the node
    const mdns = (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns
    mdns?.on('error', (err: Error) => log.warn({ err: err.message }, 'DNS-SD socket failed'))
    mdns?.on('warning', (err: Error) => log.debug({ err: err.message }, 'DNS-SD socket warning'))
    const name = attempt === 0 ? announcement.name : instanceName(announcement.name, ` #${attempt + 1}`)
    // probe: true (the default) also matters for the wrapper below: the first records() call comes
    // after the probe, never inside publish()
    const service = bonjour.publish({
      name,
      type: announcement.type,
      protocol: 'tcp',
      port: announcement.port,
      host: announcement.host,
      txt: announcement.txt,
      disableIPv6: true,
      probe: true,
    })
    const entry: BonjourEntry = { announcement, bonjour, service, attempt, announced: false, stopping: false }
    entries.set(announcement.key, entry)
    const allRecords = service.records.bind(service)
    service.records = () => {
      if (!service.activated && !entry.stopping) {
        // bonjour-service is withdrawing by itself: its probe found the name taken
        setImmediate(() => onConflict(entry))
        return []
      }
      const records = allRecords().filter((r) => r.type !== 'A' || r.data === interfaceAddress)
      if (!entry.stopping) {
        entry.announced = true
        return records
      }
      return entry.announced ? records.filter((r) => !sharedBySibling(entry, r)) : []
    }
    service.on('up', () => log.debug({ name, type: announcement.type }, 'DNS-SD announcement sent'))
  }

  const onConflict = (entry: BonjourEntry): void => {
    entry.bonjour.destroy()
    if (entries.get(entry.announcement.key) !== entry) return
    const next = entry.attempt + 1
    if (next >= MAX_NAME_ATTEMPTS) {
      entries.delete(entry.announcement.key)
      log.warn(
        { name: entry.announcement.name },
        'DNS-SD instance names taken on the LAN; service not mirrored',
      )
      return
    }
    log.info(
      { name: entry.announcement.name, attempt: next + 1 },
      'DNS-SD instance name taken on the LAN; renaming',
    )
    start(entry.announcement, next)
  }

  const withdraw = async (entry: BonjourEntry): Promise<void> => {
    entry.stopping = true
    await new Promise<void>((resolve) => entry.service.stop(() => resolve()))
    await new Promise<void>((resolve) => entry.bonjour.destroy(() => resolve()))
  }

  return {
    publish(announcement) {
      const previous = entries.get(announcement.key)
      if (previous !== undefined) {
        entries.delete(announcement.key)
        void withdraw(previous)
      }
      start(announcement, 0)
    },
    async unpublish(announcement) {
      const entry = entries.get(announcement.key)
      if (entry === undefined) return
      entries.delete(announcement.key)
      await withdraw(entry)
    },
    async close() {
      const all = [...entries.values()]
      entries.clear()
      await Promise.all(all.map(withdraw))
    },
  }
}
