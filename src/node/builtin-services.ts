import type { SearchQuery, ServiceView } from '../catalogue/types.ts'
import { CloudyError } from '../util/errors.ts'
import type { Logger } from '../util/logger.ts'
import type { TypedEmitter } from '../util/typed-emitter.ts'
import { STORAGE_SERVICE } from './builtin-storage.ts'
import { TORRENTS_SERVICE, TRACKER_SERVICE } from './builtin-torrents.ts'
import type { NodeEvents } from './views.ts'

/**
 * A service that ships with Cloudy and is switched on per node (`cloudy service enable NAME`).
 *
 * Lifecycle. A definition with `start` runs code in the daemon (tracker, torrents, storage, ...):
 * the node starts it when the daemon starts (if enabled) and when it is enabled, stops it when it is
 * disabled and when the daemon stops, and restarts it when it is enabled again with other options
 * (unless it can `reconfigure`). A start that fails leaves the service enabled but not running;
 * the reason shows in its view (`error`), and the next enable tries again. While it runs, the
 * service's catalogue record names the port it really listens on. The API reaches a running
 * service's interface (`api`) through an accessor of the node (`node.torrents()`), which throws
 * SERVICE_DISABLED or SERVICE_FAILED otherwise. Services run whether or not the node is in a cloud;
 * their records are published while it is.
 *
 * A definition without `start` (relay) only configures the overlay and publishes its record.
 */
export interface BuiltinServiceDefinition<Api = unknown> {
  name: string
  description: string
  /** validates and normalises the options given on enable */
  parseOptions(options: Record<string, unknown>): Record<string, unknown>
  /** the overlay must be rebuilt for the change to take effect (libp2p services are fixed at start) */
  restartsOverlay: boolean
  /** runs the service; resolves once it listens */
  start?(ctx: BuiltinContext): Promise<RunningBuiltin<Api>>
  /** the catalogue record the service publishes while it runs; undefined for none */
  record(ctx: {
    p2pPort: number
    port: number
    options: Record<string, unknown>
    /** the running service's interface (undefined while it does not run) */
    api?: Api
  }): { type: string; port: number; description: string; txt?: Record<string, string> } | undefined
}

/** What a running built-in service may use of its node. */
export interface BuiltinContext {
  /** the options as parseOptions returned them */
  options: Record<string, unknown>
  /** the node's data directory; a service keeps its files in a folder named after it */
  dataDir: string
  /** the address the node listens on (config `host`) */
  host: string
  /** the address other members reach this node on */
  advertiseHost: string
  logger: Logger
  /** the node's events, for the service's own (`torrent:*`, ...) */
  events: TypedEmitter<NodeEvents>
  /** the IP addresses of the cloud's live members, this node's included; none outside a cloud */
  memberAddresses(): string[]
  /** the cloud's catalogue; empty outside a cloud */
  search(query?: SearchQuery): ServiceView[]
}

/** A started built-in service. */
export interface RunningBuiltin<Api = unknown> {
  /** the port it really listens on (its catalogue record names it); 0 when it listens on none */
  port: number
  /** what the API calls, through the node's accessor for this service */
  api: Api
  /** applies changed options in place and resolves true; false (or no method): the node restarts it */
  reconfigure?(options: Record<string, unknown>): Promise<boolean>
  /** stops listening and releases files; must not throw */
  stop(): Promise<void>
}

export const RELAY_SERVICE: BuiltinServiceDefinition = {
  name: 'relay',
  description: 'circuit relay v2 for members that cannot reach each other directly (NAT, tunnels)',
  parseOptions(options) {
    if (Object.keys(options).length > 0) {
      throw new CloudyError(
        'INVALID_INPUT',
        `the relay service takes no options (got ${Object.keys(options).join(', ')})`,
      )
    }
    return {}
  },
  restartsOverlay: true,
  record: ({ p2pPort }) => ({ type: 'relay', port: p2pPort, description: 'Cloudy circuit relay' }),
}

export const BUILTIN_SERVICES: readonly BuiltinServiceDefinition[] = [
  RELAY_SERVICE,
  STORAGE_SERVICE as BuiltinServiceDefinition,
  TRACKER_SERVICE as BuiltinServiceDefinition,
  TORRENTS_SERVICE as BuiltinServiceDefinition,
]

export function builtinService(name: string): BuiltinServiceDefinition {
  const def = BUILTIN_SERVICES.find((s) => s.name === name)
  if (def === undefined) {
    const known = BUILTIN_SERVICES.map((s) => s.name).join(', ')
    throw new CloudyError('NOT_FOUND', `no built-in service "${name}" (known: ${known})`)
  }
  return def
}
