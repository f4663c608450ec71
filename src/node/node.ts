import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { type PublishInput, redactSecrets, type SearchQuery, type ServiceView } from '../catalogue/types.ts'
import type { MemberView } from '../membership/types.ts'
import { decodeInvite, encodeInvite, hashInviteToken, isInviteExpired } from '../net/invite.ts'
import { createJoinServer, type JoinGrant, type JoinServer, requestJoin } from '../net/join-service.ts'
import { createResourceMonitor } from '../resources/monitor.ts'
import { loadOrCreateGatewaySecrets } from '../storage/gateway/gateway-secrets.ts'
import { StorageGateway } from '../storage/gateway/storage-gateway.ts'
import type { TorrentsApi } from '../torrents/client/torrent-client.ts'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.ts'
import { CloudyError } from '../util/errors.ts'
import type { Logger } from '../util/logger.ts'
import { TypedEmitter } from '../util/typed-emitter.ts'
import {
  BUILTIN_SERVICES,
  type BuiltinServiceDefinition,
  builtinService,
  type RunningBuiltin,
} from './builtin-services.ts'
import { STORAGE_SERVICE, STORAGE_TYPE, type StorageServerApi, storageServersOf } from './builtin-storage.ts'
import { TORRENTS_SERVICE, TRACKER_SERVICE, type TrackerApi } from './builtin-torrents.ts'
import { CloudSession } from './cloud-session.ts'
import {
  type CloudFile,
  cloudFromGrant,
  cloudInfo,
  loadCloud,
  newCloud,
  removeCloud,
  saveCloud,
  validateCloudName,
} from './cloud-state.ts'
import { type Config, saveConfig } from './config.ts'
import type { DataDir } from './data-dir.ts'
import { InviteStore } from './invite-store.ts'
import type {
  BuiltinServiceView,
  CloudInfo,
  CloudyNode,
  CreatedInvite,
  InviteView,
  ListenSettings,
  NodeEvents,
  NodeStatus,
} from './types.ts'

export const DEFAULT_INVITE_TTL_MS = 24 * 3_600_000

export interface NodeInit {
  dataDir: DataDir
  /** the configuration as stored in the data directory */
  config: Config
  /** settings given for this run only (`cloudy start --host ...`); never saved */
  overrides?: Partial<Config>
  version: string
  /** the API's actual port and URL, known once it listens */
  api: () => { port: number; url: string }
}

export interface NodeComponents {
  privateKey: PrivateKey
  selfId: string
  logger: Logger
  clock?: () => number
}

/** The address other members reach this node's services on. */
export function advertiseHostOf(config: Config): string {
  if (config.advertiseHost) return config.advertiseHost
  if (config.host !== '0.0.0.0' && config.host !== '::') return config.host
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}

/**
 * The composition root of a running node: builds the cloud session from the data directory and
 * implements what the front-ends may do (`CloudyNode`).
 */
export class Node implements CloudyNode {
  readonly events = new TypedEmitter<NodeEvents>()
  readonly #init: NodeInit
  readonly #c: Required<NodeComponents>
  readonly #invites: InviteStore
  readonly #startedAt: number
  readonly #resources: ReturnType<typeof createResourceMonitor>
  /** the configuration in effect: the stored one with this run's overrides */
  #config: Config
  /** the configuration as stored; changes go to both, overrides never reach the disk */
  #stored: Config
  #cloud: CloudFile | undefined
  #session: CloudSession | undefined
  #joinServer: JoinServer | undefined
  #peersTimer: NodeJS.Timeout | undefined
  /** the built-in services with a lifecycle that run, and why the others that are enabled do not */
  readonly #running = new Map<string, RunningBuiltin>()
  readonly #builtinErrors = new Map<string, string>()
  #gateway: StorageGateway | undefined
  /** serialises cloud changes (create, join, leave, restarts) */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(init: NodeInit, components: NodeComponents) {
    this.#init = init
    this.#c = { clock: Date.now, ...components }
    this.#stored = init.config
    this.#config = { ...init.config, ...init.overrides }
    this.#startedAt = this.#c.clock()
    this.#invites = new InviteStore(init.dataDir, this.#c.clock)
    this.#resources = createResourceMonitor({
      dataDir: init.dataDir.root,
      // what the running storage server offers: its capacity option (0 = what the disk allows)
      contributedStorage: () =>
        this.#running.has(STORAGE_SERVICE.name)
          ? Number(this.#config.services.storage?.options.capacity ?? 0)
          : 0,
    })
  }

  /** Loads state and, when this node belongs to a cloud, joins it again. */
  async start(): Promise<void> {
    await this.#invites.load()
    this.#cloud = await loadCloud(this.#init.dataDir)
    this.#joinServer = await createJoinServer(
      {
        privateKey: this.#c.privateKey,
        host: this.#config.host,
        port: this.#config.joinPort,
        onJoin: (request) => this.#grantJoin(request),
      },
      { logger: this.#c.logger.child({ part: 'join' }) },
    )
    const gatewayDir = join(this.#init.dataDir.root, 'gateway')
    const secrets = await loadOrCreateGatewaySecrets(gatewayDir)
    // uploads a crash cut short left their spool files; their keys died with the process
    const spoolDir = join(gatewayDir, 'spool')
    await rm(spoolDir, { recursive: true, force: true })
    this.#gateway = new StorageGateway(
      { ...secrets, encoding: this.#config.storage, spoolDir },
      {
        // the catalogue's own view: the NURLs the API never shows
        servers: () => storageServersOf(this.#session?.catalogue.search({ type: STORAGE_TYPE }) ?? []),
        logger: this.#c.logger.child({ part: 'gateway' }),
      },
    )
    for (const def of BUILTIN_SERVICES) {
      if (this.#config.services[def.name]?.enabled) await this.#startBuiltin(def)
    }
    if (this.#cloud) await this.#startSession()
    this.#peersTimer = setInterval(() => void this.#savePeers(), 10_000)
    this.#peersTimer.unref()
  }

  /** Graceful stop: tells the cloud this node leaves, remembers the peers for the next start. */
  async stop(): Promise<void> {
    clearInterval(this.#peersTimer)
    await this.#serial(async () => {
      await this.#savePeers()
      for (const name of [...this.#running.keys()]) await this.#stopBuiltin(name)
      await this.#gateway?.close()
      await this.#stopSession(true)
      await this.#joinServer?.stop()
    })
  }

  // --- status --------------------------------------------------------------------------------

  status(): NodeStatus {
    const members = this.members()
    const count = (s: MemberView['status']) => members.filter((m) => m.status === s).length
    const self = members.find((m) => m.self)
    const api = this.#init.api()
    return {
      id: this.#c.selfId,
      name: this.#config.name,
      version: this.#init.version,
      host: advertiseHostOf(this.#config),
      apiUrl: api.url,
      p2pAddrs: this.#session?.overlay.addresses() ?? [],
      microCloud: this.#config.microCloud,
      startedAt: this.#startedAt,
      uptimeMs: this.#c.clock() - this.#startedAt,
      resources: self?.resources ?? emptyResources(),
      cloud: this.#cloud ? cloudInfo(this.#cloud) : null,
      members: { alive: count('alive'), suspect: count('suspect'), dead: count('dead'), left: count('left') },
      services: this.#session?.catalogue.count() ?? 0,
    }
  }

  members(): MemberView[] {
    return this.#session?.membership.members() ?? []
  }

  // --- cloud ---------------------------------------------------------------------------------

  createCloud(name: string, options: { force?: boolean } = {}): Promise<CloudInfo> {
    const cloudName = validateCloudName(name)
    return this.#serial(async () => {
      this.#refuseIfMember(options.force, 'create a new cloud')
      await this.#stopSession(true)
      const cloud = newCloud(cloudName, this.#c.clock())
      await saveCloud(this.#init.dataDir, cloud)
      this.#cloud = cloud
      await this.#invites.prune(cloud.id)
      await this.#startSession()
      const info = cloudInfo(cloud)
      this.events.emit('cloud:created', info)
      return info
    })
  }

  joinCloud(code: string, options: { force?: boolean } = {}): Promise<CloudInfo> {
    const invite = decodeInvite(code)
    if (isInviteExpired(invite, this.#c.clock())) {
      throw new CloudyError('INVITE_REFUSED', 'the invite has expired; ask a member for a new one')
    }
    return this.#serial(async () => {
      if (this.#cloud?.id === invite.cloudId && !options.force) {
        throw new CloudyError(
          'ALREADY_MEMBER',
          `this node is already a member of the cloud "${invite.cloudName}"`,
        )
      }
      this.#refuseIfMember(options.force, 'join another cloud')
      // Run the handshake before leaving the current cloud, so a failed join leaves nothing changed.
      const grant = await requestJoin(
        invite,
        { privateKey: this.#c.privateKey, name: this.#config.name },
        { logger: this.#c.logger.child({ part: 'join' }) },
      )
      await this.#stopSession(true)
      const cloud = cloudFromGrant(grant, this.#c.clock())
      await saveCloud(this.#init.dataDir, cloud)
      this.#cloud = cloud
      await this.#invites.prune(cloud.id)
      await this.#startSession()
      const info = cloudInfo(cloud)
      this.events.emit('cloud:joined', info)
      return info
    })
  }

  leaveCloud(): Promise<void> {
    return this.#serial(async () => {
      const cloud = this.#requireCloud()
      await this.#stopSession(true)
      await removeCloud(this.#init.dataDir)
      this.#cloud = undefined
      await this.#invites.prune(undefined)
      this.events.emit('cloud:left', { id: cloud.id, name: cloud.name })
    })
  }

  async createInvite(options: { expiresInMs?: number } = {}): Promise<CreatedInvite> {
    const cloud = this.#requireCloud()
    const joinAddrs = this.#joinServer?.addresses() ?? []
    const expiresInMs = options.expiresInMs ?? DEFAULT_INVITE_TTL_MS
    const token = randomBytes(32).toString('base64url')
    const view = await this.#invites.add(cloud.id, hashInviteToken(token), expiresInMs)
    const code = encodeInvite({
      v: 1,
      cloudId: cloud.id,
      cloudName: cloud.name,
      token,
      peer: this.#c.selfId,
      addrs: joinAddrs,
      expiresAt: view.expiresAt,
    })
    this.events.emit('invite:created', view)
    return { ...view, code }
  }

  listInvites(): InviteView[] {
    return this.#invites.list()
  }

  async revokeInvite(id: string): Promise<InviteView> {
    const view = await this.#invites.revoke(id)
    this.events.emit('invite:revoked', view)
    return view
  }

  // --- catalogue -----------------------------------------------------------------------------

  async publish(input: PublishInput): Promise<ServiceView> {
    return this.#requireSession().catalogue.publish(input)
  }

  async unpublish(type: string, port: number): Promise<void> {
    await this.#requireSession().catalogue.unpublish(type, port)
  }

  search(query?: SearchQuery): ServiceView[] {
    return (this.#session?.catalogue.search(query) ?? []).map(redactSecrets)
  }

  async scanQuality(query?: SearchQuery): Promise<ServiceView[]> {
    return (await (this.#session?.catalogue.scanQuality(query) ?? [])).map(redactSecrets)
  }

  // --- built-in services ---------------------------------------------------------------------

  listBuiltinServices(): BuiltinServiceView[] {
    return BUILTIN_SERVICES.map((def) => this.#builtinView(def.name))
  }

  enableBuiltinService(name: string, options: Record<string, unknown> = {}): Promise<BuiltinServiceView> {
    const def = builtinService(name)
    const parsed = def.parseOptions(options)
    return this.#serial(async () => {
      await this.#updateConfig({
        services: { ...this.#stored.services, [name]: { enabled: true, options: parsed } },
      })
      if (def.start) await this.#restartBuiltin(def, parsed)
      if (def.restartsOverlay && this.#session) await this.#restartSession()
      else await this.#publishBuiltins()
      const view = this.#builtinView(name)
      this.events.emit('builtin:enabled', view)
      return view
    })
  }

  disableBuiltinService(name: string): Promise<BuiltinServiceView> {
    const def = builtinService(name)
    return this.#serial(async () => {
      const current = this.#config.services[name]
      await this.#updateConfig({
        services: { ...this.#stored.services, [name]: { enabled: false, options: current?.options ?? {} } },
      })
      const record = this.#session ? this.#recordOf(def, current?.options ?? {}) : undefined
      if (record)
        await this.#session?.catalogue.unpublish(record.type, record.port, { builtin: true }).catch(() => {})
      await this.#stopBuiltin(name)
      this.#builtinErrors.delete(name)
      if (def.restartsOverlay && this.#session) await this.#restartSession()
      const view = this.#builtinView(name)
      this.events.emit('builtin:disabled', view)
      return view
    })
  }

  async setName(name: string): Promise<void> {
    if (!/^[\p{L}\p{N}][\p{L}\p{N}._-]{0,62}$/u.test(name)) {
      throw new CloudyError(
        'INVALID_INPUT',
        'a node name is 1-63 letters, digits, dots, hyphens or underscores',
      )
    }
    await this.#updateConfig({ name })
    await this.#session?.membership.announce()
  }

  listenSettings(): ListenSettings {
    return {
      host: this.#config.host,
      savedHost: this.#stored.host,
      restartRequired: this.#stored.host !== this.#config.host,
      apiHost: this.#config.apiHost,
      apiPort: this.#init.api().port,
    }
  }

  async setListenHost(host: string): Promise<ListenSettings> {
    if (!/^[A-Za-z0-9._:%[\]-]{1,253}$/.test(host)) {
      throw new CloudyError('INVALID_INPUT', 'a listen address is an IP address or a DNS name, e.g. 0.0.0.0')
    }
    return this.#serial(async () => {
      await this.#updateConfig({ host }, { now: false })
      return this.listenSettings()
    })
  }

  // --- internals -----------------------------------------------------------------------------

  /** Saves a configuration change; with `now: false` it takes effect at the next start only. */
  async #updateConfig(change: Partial<Config>, options: { now: boolean } = { now: true }): Promise<void> {
    this.#stored = { ...this.#stored, ...change }
    if (options.now) this.#config = { ...this.#config, ...change }
    await saveConfig(this.#init.dataDir, this.#stored)
  }

  #builtinView(name: string): BuiltinServiceView {
    const def = builtinService(name)
    const entry = this.#config.services[name]
    const enabled = entry?.enabled ?? false
    const running = this.#running.get(name)
    const error = this.#builtinErrors.get(name)
    return {
      name,
      description: def.description,
      enabled,
      running: def.start ? running !== undefined : enabled && this.#session !== undefined,
      options: entry?.options ?? {},
      ...(running && running.port > 0 ? { port: running.port } : {}),
      ...(error !== undefined && enabled ? { error } : {}),
    }
  }

  // --- built-in services with a lifecycle (builtin-services.ts) ------------------------------

  torrents(): TorrentsApi {
    return this.#builtinApi(TORRENTS_SERVICE)
  }

  storageServer(): StorageServerApi {
    return this.#builtinApi(STORAGE_SERVICE)
  }

  storageGateway(): StorageGateway {
    if (!this.#gateway) throw new CloudyError('UNAVAILABLE', 'the node is starting')
    return this.#gateway
  }

  tracker(): TrackerApi {
    return this.#builtinApi(TRACKER_SERVICE)
  }

  #builtinApi<Api>(def: BuiltinServiceDefinition<Api>): Api {
    const running = this.#running.get(def.name)
    if (running) return running.api as Api
    const error = this.#builtinErrors.get(def.name)
    if (this.#config.services[def.name]?.enabled && error !== undefined) {
      throw new CloudyError('SERVICE_FAILED', `the ${def.name} service did not start: ${error}`)
    }
    throw new CloudyError(
      'SERVICE_DISABLED',
      `the ${def.name} service is not enabled on this node: \`cloudy service enable ${def.name}\``,
    )
  }

  async #startBuiltin(def: BuiltinServiceDefinition): Promise<void> {
    if (!def.start || this.#running.has(def.name)) return
    const options = this.#config.services[def.name]?.options ?? {}
    const logger = this.#c.logger.child({ part: def.name })
    try {
      const running = await def.start({
        options,
        dataDir: this.#init.dataDir.root,
        host: this.#config.host,
        advertiseHost: advertiseHostOf(this.#config),
        logger,
        events: this.events,
        memberAddresses: () => this.#memberAddresses(),
        search: (query) => this.search(query),
      })
      this.#running.set(def.name, running)
      this.#builtinErrors.delete(def.name)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      this.#builtinErrors.set(def.name, message)
      logger.error({ err }, `the ${def.name} service failed to start`)
    }
  }

  async #stopBuiltin(name: string): Promise<void> {
    const running = this.#running.get(name)
    this.#running.delete(name)
    await running?.stop().catch((err: Error) => this.#c.logger.warn({ err, service: name }, 'stop failed'))
  }

  /** Enabled again: applies the options in place when the service can, else restarts it. */
  async #restartBuiltin(def: BuiltinServiceDefinition, options: Record<string, unknown>): Promise<void> {
    const running = this.#running.get(def.name)
    if (running?.reconfigure && (await running.reconfigure(options))) return
    if (running) {
      const record = this.#recordOf(def, options)
      if (record)
        await this.#session?.catalogue.unpublish(record.type, record.port, { builtin: true }).catch(() => {})
      await this.#stopBuiltin(def.name)
    }
    await this.#startBuiltin(def)
  }

  #recordOf(def: BuiltinServiceDefinition, options: Record<string, unknown>) {
    const running = this.#running.get(def.name)
    return def.record({ p2pPort: this.#p2pPort(), port: running?.port ?? 0, options, api: running?.api })
  }

  /** IP addresses of the live members: their hosts and the addresses in their overlay addresses. */
  #memberAddresses(): string[] {
    const out = new Set<string>([advertiseHostOf(this.#config)])
    for (const m of this.members()) {
      if (m.status !== 'alive' && m.status !== 'suspect') continue
      out.add(m.host)
      for (const addr of m.addrs) {
        const ip = /^\/ip[46]\/([^/]+)\//.exec(addr)?.[1]
        if (ip) out.add(ip)
      }
    }
    return [...out]
  }

  #refuseIfMember(force: boolean | undefined, what: string): void {
    if (this.#cloud && !force) {
      throw new CloudyError(
        'ALREADY_MEMBER',
        `this node is a member of the cloud "${this.#cloud.name}"; to ${what}, leave it first or pass --force`,
      )
    }
  }

  #requireCloud(): CloudFile {
    if (!this.#cloud) {
      throw new CloudyError(
        'NOT_MEMBER',
        'this node is not in a cloud: `cloudy cloud create NAME` or `cloudy join INVITE`',
      )
    }
    return this.#cloud
  }

  #requireSession(): CloudSession {
    this.#requireCloud()
    if (!this.#session) throw new CloudyError('UNAVAILABLE', 'the overlay is not running; see the daemon log')
    return this.#session
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }

  async #startSession(): Promise<void> {
    const cloud = this.#cloud
    if (!cloud) return
    const api = this.#init.api()
    this.#session = await CloudSession.start(
      {
        cloud,
        config: this.#config,
        startedAt: this.#startedAt,
        advertiseHost: advertiseHostOf(this.#config),
        apiPort: api.port,
        version: this.#init.version,
        roles: () =>
          BUILTIN_SERVICES.filter((d) => this.#config.services[d.name]?.enabled).map((d) => d.name),
        describeResources: () => this.#resources.read(),
      },
      {
        privateKey: this.#c.privateKey,
        selfId: this.#c.selfId,
        logger: this.#c.logger,
        clock: this.#c.clock,
        events: this.events,
        serviceStore: {
          load: async () =>
            ((await readJsonIfExists(this.#servicesFile())) as PublishInput[] | undefined) ?? [],
          save: (services) => writeJsonAtomic(this.#servicesFile(), services),
        },
      },
    )
    await this.#publishBuiltins()
    this.#c.logger.info(
      { cloud: cloud.name, cloudId: cloud.id, addrs: this.#session.overlay.addresses() },
      'member of the cloud; overlay running',
    )
  }

  async #stopSession(leave: boolean): Promise<void> {
    const session = this.#session
    this.#session = undefined
    await session?.stop({ leave })
  }

  async #restartSession(): Promise<void> {
    await this.#savePeers()
    await this.#stopSession(false)
    this.#cloud = await loadCloud(this.#init.dataDir)
    await this.#startSession()
  }

  async #publishBuiltins(): Promise<void> {
    const session = this.#session
    if (!session) return
    for (const def of BUILTIN_SERVICES) {
      const entry = this.#config.services[def.name]
      if (!entry?.enabled || (def.start && !this.#running.has(def.name))) continue
      const record = this.#recordOf(def, entry.options)
      if (record) await session.catalogue.publish({ ...record, public: false }, { builtin: true })
    }
  }

  #p2pPort(): number {
    for (const addr of this.#session?.overlay.addresses() ?? []) {
      const m = /\/tcp\/(\d+)/.exec(addr)
      if (m && !addr.includes('/p2p-circuit')) return Number(m[1])
    }
    return this.#config.p2pPort
  }

  #servicesFile(): string {
    return `${this.#init.dataDir.root}/services.json`
  }

  async #grantJoin(request: { token: string; joiner: string; name: string }): Promise<JoinGrant> {
    const cloud = this.#cloud
    const session = this.#session
    if (!cloud || !session) {
      throw new CloudyError(
        'INVITE_REFUSED',
        'the inviting node no longer belongs to a cloud; ask a member for a new invite',
      )
    }
    const used = await this.#invites.consume(cloud.id, hashInviteToken(request.token), request.joiner)
    this.#c.logger.info({ joiner: request.joiner, name: request.name, invite: used.id }, 'granted a join')
    this.events.emit('invite:used', used)
    return {
      cloudId: cloud.id,
      cloudName: cloud.name,
      cloudKey: cloud.key,
      members: [
        { id: this.#c.selfId, addrs: session.overlay.addresses() },
        ...session.membership.knownPeers(),
      ],
      settings: cloud.settings,
    }
  }

  async #savePeers(): Promise<void> {
    const cloud = this.#cloud
    const session = this.#session
    if (!cloud || !session) return
    const peers = session.membership.knownPeers().filter((p) => p.addrs.length > 0)
    if (peers.length === 0 || JSON.stringify(peers) === JSON.stringify(cloud.peers)) return
    this.#cloud = { ...cloud, peers }
    await saveCloud(this.#init.dataDir, this.#cloud)
  }
}

function emptyResources(): MemberView['resources'] {
  return { cpuCores: 0, load1: 0, memTotal: 0, memFree: 0, diskTotal: 0, diskFree: 0, contributedStorage: 0 }
}
