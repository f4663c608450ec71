import type { PublishInput, SearchQuery, ServiceView } from '../../../src/catalogue/types.ts'
import type { MemberView, NodeResources } from '../../../src/membership/types.ts'
import type { StorageServerApi } from '../../../src/node/builtin-storage.ts'
import type { TrackerApi } from '../../../src/node/builtin-torrents.ts'
import type {
  BuiltinServiceView,
  CloudInfo,
  CloudyNode,
  CreatedInvite,
  InviteView,
  ListenSettings,
  NodeEvents,
  NodeStatus,
} from '../../../src/node/types.ts'
import type { StorageGateway } from '../../../src/storage/gateway/storage-gateway.ts'
import type { TorrentsApi } from '../../../src/torrents/client/torrent-client.ts'
import { CloudyError } from '../../../src/util/errors.ts'
import { TypedEmitter } from '../../../src/util/typed-emitter.ts'

/** Counts live listeners, so a test can see that a closed event stream let go of its own. */
class CountingEmitter extends TypedEmitter<NodeEvents> {
  listeners = 0

  override on<K extends keyof NodeEvents & string>(
    event: K,
    listener: (payload: NodeEvents[K]) => void,
  ): () => void {
    const off = super.on(event, listener)
    this.listeners++
    let active = true
    return () => {
      if (active) this.listeners--
      active = false
      off()
    }
  }
}

const RESOURCES: NodeResources = {
  cpuCores: 2,
  load1: 0.25,
  memTotal: 4e9,
  memFree: 1e9,
  diskTotal: 100e9,
  diskFree: 40e9,
  contributedStorage: 0,
}

export const VALID_INVITE = 'cloudy-invite-valid'

function member(id: string, name: string, self: boolean, status: MemberView['status']): MemberView {
  return {
    id,
    name,
    status,
    self,
    addrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${id}`],
    host: '127.0.0.1',
    apiPort: 7780,
    microCloud: 'default',
    version: '0.1.0',
    roles: [],
    resources: RESOURCES,
    startedAt: 1_700_000_000_000,
    uptimeMs: 3_723_000,
    rttMs: self ? null : 1.5,
    lastSeen: self ? null : 1_700_000_100_000,
    statusSince: 1_700_000_000_000,
    relayed: false,
  }
}

/**
 * An in-memory stand-in for the node behind the API: enough behaviour (state, refusals with the
 * node's error codes, events) to exercise every route. The real node is tested elsewhere.
 */
export class FakeNode implements CloudyNode {
  readonly events = new CountingEmitter()
  name = 'alpha'
  cloud: CloudInfo | null = {
    id: 'cloud-1',
    name: 'home',
    keyFingerprint: 'ab12cd34',
    joinedAt: 1_700_000_000_000,
  }
  readonly invites = new Map<string, InviteView>()
  readonly services: ServiceView[] = []
  readonly builtins = new Map<string, BuiltinServiceView>([
    [
      'storage',
      { name: 'storage', description: 'storage server', enabled: false, running: false, options: {} },
    ],
  ])
  lastScanSignal: AbortSignal | undefined
  /** a scan then lasts until its signal aborts */
  holdScans = false

  status(): NodeStatus {
    const counts = { alive: 0, suspect: 0, dead: 0, left: 0 }
    for (const m of this.members()) counts[m.status]++
    return {
      id: 'node-a',
      name: this.name,
      version: '0.1.0',
      host: '127.0.0.1',
      apiUrl: 'http://127.0.0.1:7780',
      p2pAddrs: ['/ip4/127.0.0.1/tcp/4001/p2p/node-a'],
      microCloud: 'default',
      startedAt: 1_700_000_000_000,
      uptimeMs: 3_723_000,
      resources: RESOURCES,
      cloud: this.cloud,
      members: counts,
      services: this.services.length,
    }
  }

  members(): MemberView[] {
    return [member('node-a', this.name, true, 'alive'), member('node-b', 'beta', false, 'suspect')]
  }

  async createCloud(name: string, options: { force?: boolean } = {}): Promise<CloudInfo> {
    if (this.cloud && !options.force) {
      throw new CloudyError('ALREADY_MEMBER', `already a member of "${this.cloud.name}"`)
    }
    this.cloud = { id: `cloud-${name}`, name, keyFingerprint: 'ffee0011', joinedAt: Date.now() }
    this.events.emit('cloud:created', this.cloud)
    return this.cloud
  }

  async joinCloud(invite: string, options: { force?: boolean } = {}): Promise<CloudInfo> {
    if (this.cloud && !options.force) {
      throw new CloudyError('ALREADY_MEMBER', `already a member of "${this.cloud.name}"`)
    }
    if (invite !== VALID_INVITE) {
      throw new CloudyError('INVITE_REFUSED', 'the invite was used, expired or revoked')
    }
    this.cloud = { id: 'cloud-joined', name: 'joined', keyFingerprint: '00112233', joinedAt: Date.now() }
    return this.cloud
  }

  async leaveCloud(): Promise<void> {
    if (this.cloud === null) throw new CloudyError('NOT_MEMBER', 'not a member of a cloud')
    this.cloud = null
  }

  async createInvite(options: { expiresInMs?: number } = {}): Promise<CreatedInvite> {
    const id = `inv${this.invites.size + 1}`
    const now = Date.now()
    const view: InviteView = {
      id,
      createdAt: now,
      expiresAt: now + (options.expiresInMs ?? 0),
      state: 'active',
    }
    this.invites.set(id, view)
    this.events.emit('invite:created', view)
    return { ...view, code: `cloudy-invite-${id}` }
  }

  listInvites(): InviteView[] {
    return [...this.invites.values()]
  }

  async revokeInvite(id: string): Promise<InviteView> {
    const invite = this.invites.get(id)
    if (invite === undefined) throw new CloudyError('NOT_FOUND', `no invite ${id}`)
    invite.state = 'revoked'
    return invite
  }

  async publish(input: PublishInput): Promise<ServiceView> {
    const view: ServiceView = {
      type: input.type,
      port: input.port,
      description: input.description ?? '',
      host: input.host ?? '127.0.0.1',
      txt: input.txt ?? {},
      microCloud: 'default',
      public: input.public ?? false,
      builtin: false,
      node: 'node-a',
      nodeName: this.name,
      local: true,
      announcedAt: Date.now(),
    }
    this.services.push(view)
    this.events.emit('service:published', view)
    return view
  }

  async unpublish(type: string, port: number): Promise<void> {
    const index = this.services.findIndex((s) => s.type === type && s.port === port)
    if (index < 0) throw new CloudyError('NOT_FOUND', `this node publishes no ${type} on port ${port}`)
    this.services.splice(index, 1)
  }

  search(query: SearchQuery = {}): ServiceView[] {
    return this.services.filter(
      (s) =>
        (query.type === undefined || s.type === query.type) &&
        (query.host === undefined || s.host === query.host || s.nodeName === query.host) &&
        Object.entries(query.txt ?? {}).every(([k, v]) => s.txt[k] === v),
    )
  }

  async scanQuality(query?: SearchQuery, options: { signal?: AbortSignal } = {}): Promise<ServiceView[]> {
    this.lastScanSignal = options.signal
    if (this.holdScans) {
      await new Promise((resolve) => options.signal?.addEventListener('abort', resolve))
      throw new CloudyError('UNAVAILABLE', 'scan aborted')
    }
    return this.search(query).map((s) => ({
      ...s,
      quality: { reachable: true, connectMs: 0.4, checkedAt: Date.now() },
    }))
  }

  listBuiltinServices(): BuiltinServiceView[] {
    return [...this.builtins.values()]
  }

  async enableBuiltinService(
    name: string,
    options: Record<string, unknown> = {},
  ): Promise<BuiltinServiceView> {
    const view = this.#builtin(name)
    Object.assign(view, { enabled: true, running: true, options })
    return view
  }

  async disableBuiltinService(name: string): Promise<BuiltinServiceView> {
    return Object.assign(this.#builtin(name), { enabled: false, running: false })
  }

  async setName(name: string): Promise<void> {
    this.name = name
  }

  savedHost = '127.0.0.1'

  listenSettings(): ListenSettings {
    return {
      host: '127.0.0.1',
      savedHost: this.savedHost,
      restartRequired: this.savedHost !== '127.0.0.1',
      apiHost: '127.0.0.1',
      apiPort: 7780,
    }
  }

  async setListenHost(host: string): Promise<ListenSettings> {
    this.savedHost = host
    return this.listenSettings()
  }

  /** the torrents and tracker services' interfaces, when a test gives them */
  torrentsApi: TorrentsApi | undefined
  trackerApi: TrackerApi | undefined

  /** the storage gateway and server, when a test gives them */
  gateway: StorageGateway | undefined
  storageServerApi: StorageServerApi | undefined

  storageGateway(): StorageGateway {
    if (!this.gateway) throw new CloudyError('UNAVAILABLE', 'no storage gateway in this test')
    return this.gateway
  }

  storageServer(): StorageServerApi {
    if (!this.storageServerApi)
      throw new CloudyError('SERVICE_DISABLED', 'the storage service is not enabled')
    return this.storageServerApi
  }

  torrents(): TorrentsApi {
    if (!this.torrentsApi) throw new CloudyError('SERVICE_DISABLED', 'the torrents service is not enabled')
    return this.torrentsApi
  }

  tracker(): TrackerApi {
    if (!this.trackerApi) throw new CloudyError('SERVICE_DISABLED', 'the tracker service is not enabled')
    return this.trackerApi
  }

  #builtin(name: string): BuiltinServiceView {
    const view = this.builtins.get(name)
    if (view === undefined) throw new CloudyError('NOT_FOUND', `no built-in service "${name}"`)
    return view
  }
}
