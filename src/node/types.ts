import type { PublishInput, SearchQuery, ServiceView } from '../catalogue/types.ts'
import type { MemberView } from '../membership/types.ts'
import type { StorageGateway } from '../storage/gateway/storage-gateway.ts'
import type { TorrentsApi } from '../torrents/client/torrent-client.ts'
import type { TypedEmitter } from '../util/typed-emitter.ts'
import type { StorageServerApi } from './builtin-storage.ts'
import type { TrackerApi } from './builtin-torrents.ts'
import type {
  BuiltinServiceView,
  CloudInfo,
  CreatedInvite,
  InviteView,
  ListenSettings,
  NodeEvents,
  NodeStatus,
} from './views.ts'

export * from './views.ts'

/**
 * What the front-ends (HTTP API, and through it the CLI and dashboard) may do with a running node.
 * Implemented by the composition root; errors are CloudyErrors with stable codes.
 */
export interface CloudyNode {
  readonly events: TypedEmitter<NodeEvents>
  status(): NodeStatus
  members(): MemberView[]

  createCloud(name: string, options?: { force?: boolean }): Promise<CloudInfo>
  joinCloud(invite: string, options?: { force?: boolean }): Promise<CloudInfo>
  leaveCloud(): Promise<void>

  createInvite(options?: { expiresInMs?: number }): Promise<CreatedInvite>
  listInvites(): InviteView[]
  revokeInvite(id: string): Promise<InviteView>

  publish(input: PublishInput): Promise<ServiceView>
  unpublish(type: string, port: number): Promise<void>
  search(query?: SearchQuery): ServiceView[]
  /** Measures reachability of the matching services from this node. */
  scanQuality(query?: SearchQuery, options?: { signal?: AbortSignal }): Promise<ServiceView[]>

  listBuiltinServices(): BuiltinServiceView[]
  enableBuiltinService(name: string, options?: Record<string, unknown>): Promise<BuiltinServiceView>
  disableBuiltinService(name: string): Promise<BuiltinServiceView>
  /** the running BitTorrent client; SERVICE_DISABLED or SERVICE_FAILED when it does not run */
  torrents(): TorrentsApi
  /** the running tracker; SERVICE_DISABLED or SERVICE_FAILED when it does not run */
  tracker(): TrackerApi
  /** this node's storage gateway: put, get, check and verify files on the cloud's storage servers */
  storageGateway(): StorageGateway
  /** the storage server of this node (SERVICE_DISABLED unless `cloudy service enable storage`) */
  storageServer(): StorageServerApi

  setName(name: string): Promise<void>
  listenSettings(): ListenSettings
  /** Saves the listen address for the next start; the running node keeps its current one. */
  setListenHost(host: string): Promise<ListenSettings>
}
