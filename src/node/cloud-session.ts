import type { PrivateKey } from '@libp2p/interface'
import { Catalogue } from '../catalogue/catalogue.ts'
import { createDnsSdMirror, type DnsSdMirror } from '../catalogue/dns-sd-mirror.ts'
import { probeTcp } from '../catalogue/probe-tcp.ts'
import { type PublishInput, redactSecrets, SERVICE_EVENT_NAMES } from '../catalogue/types.ts'
import { Gossip } from '../membership/gossip.ts'
import { Membership } from '../membership/membership.ts'
import { MEMBER_EVENT_NAMES, type NodeRecord } from '../membership/types.ts'
import { decodeCloudKey } from '../net/cloud-key.ts'
import { createOverlay } from '../net/overlay.ts'
import { isLoopbackHost } from '../net/peer-address.ts'
import type { Overlay } from '../net/types.ts'
import type { Logger } from '../util/logger.ts'
import type { TypedEmitter } from '../util/typed-emitter.ts'
import type { CloudFile } from './cloud-state.ts'
import type { Config } from './config.ts'
import { startRelayReservations } from './relay-reservations.ts'
import type { NodeEvents } from './types.ts'

export interface CloudSessionInit {
  cloud: CloudFile
  config: Config
  startedAt: number
  /** host other members and users reach this node's services on */
  advertiseHost: string
  apiPort: number
  version: string
  roles: () => string[]
  describeResources: () => Promise<NodeRecord['resources']>
}

export interface CloudSessionComponents {
  privateKey: PrivateKey
  selfId: string
  logger: Logger
  clock: () => number
  events: TypedEmitter<NodeEvents>
  serviceStore: { load(): Promise<PublishInput[]>; save(services: PublishInput[]): Promise<void> }
}

/**
 * Everything that exists while this node is a member of one cloud: the private overlay, gossip,
 * membership and the catalogue. Leaving or switching clouds stops the session and
 * starts a new one.
 */
export class CloudSession {
  readonly overlay: Overlay
  readonly gossip: Gossip
  readonly membership: Membership
  readonly catalogue: Catalogue
  #mirror: DnsSdMirror | undefined
  #relays: { stop(): void } | undefined
  readonly #unsubscribe: (() => void)[] = []

  private constructor(parts: {
    overlay: Overlay
    gossip: Gossip
    membership: Membership
    catalogue: Catalogue
  }) {
    this.overlay = parts.overlay
    this.gossip = parts.gossip
    this.membership = parts.membership
    this.catalogue = parts.catalogue
  }

  static async start(init: CloudSessionInit, c: CloudSessionComponents): Promise<CloudSession> {
    const { config, cloud } = init
    const logger = c.logger.child({ cloud: cloud.id })
    const overlay = await createOverlay(
      {
        privateKey: c.privateKey,
        cloudKey: decodeCloudKey(cloud.key),
        host: config.host,
        port: config.p2pPort,
        bootstrap: [],
        mdns: config.mdns,
        relayServer: config.services.relay?.enabled ?? false,
      },
      { logger: logger.child({ part: 'overlay' }) },
    )
    try {
      let membership: Membership | undefined
      const gossip = new Gossip(
        { fanout: config.timing.gossipFanout, syncIntervalMs: config.timing.syncIntervalMs },
        {
          overlay,
          privateKey: c.privateKey,
          logger: logger.child({ part: 'gossip' }),
          clock: c.clock,
          peers: () => membership?.livePeers() ?? [],
        },
      )
      membership = new Membership(
        {
          timing: config.timing,
          startedAt: init.startedAt,
          describeSelf: async () => ({
            name: config.name,
            addrs: overlay.addresses(),
            host: init.advertiseHost,
            apiPort: init.apiPort,
            microCloud: config.microCloud,
            version: init.version,
            roles: init.roles(),
            resources: await init.describeResources(),
          }),
        },
        {
          overlay,
          gossip,
          privateKey: c.privateKey,
          selfId: c.selfId,
          logger: logger.child({ part: 'membership' }),
          clock: c.clock,
        },
      )
      const catalogue = new Catalogue(
        { timing: config.timing, microCloud: () => config.microCloud, defaultHost: () => init.advertiseHost },
        {
          gossip,
          membership,
          logger: logger.child({ part: 'catalogue' }),
          clock: c.clock,
          probe: (host, port) => probeTcp(host, port),
          store: c.serviceStore,
        },
      )
      const session = new CloudSession({ overlay, gossip, membership, catalogue })
      for (const name of MEMBER_EVENT_NAMES) {
        session.#unsubscribe.push(membership.events.on(name, (payload) => c.events.emit(name, payload)))
      }
      for (const name of SERVICE_EVENT_NAMES) {
        session.#unsubscribe.push(
          catalogue.events.on(name, (payload) => c.events.emit(name, redactSecrets(payload))),
        )
      }
      await gossip.start()
      await membership.start(cloud.peers)
      await catalogue.start()
      if (config.useRelays && !(config.services.relay?.enabled ?? false)) {
        session.#relays = startRelayReservations({
          overlay,
          catalogue,
          membership,
          logger: logger.child({ part: 'relay' }),
        })
      }
      // Public services of this node are mirrored to DNS-SD on its LAN, never from a loopback-only node.
      if (config.mdns && !isLoopbackHost(config.host)) {
        session.#mirror = createDnsSdMirror(
          { hostName: `${config.name}-${c.selfId.slice(-8)}`, interfaceAddress: init.advertiseHost },
          { catalogue, logger: logger.child({ part: 'dns-sd' }) },
        )
        session.#mirror.start()
      }
      return session
    } catch (err) {
      await overlay.stop().catch(() => {})
      throw err
    }
  }

  /** Stops the session; with `leave`, tells the other members first (graceful leave). */
  async stop(options: { leave: boolean }): Promise<void> {
    this.#relays?.stop()
    await this.#mirror?.stop().catch(() => {})
    this.catalogue.stop()
    if (options.leave) await this.membership.leave().catch(() => {})
    this.membership.stop()
    this.gossip.stop()
    for (const off of this.#unsubscribe) off()
    await this.overlay.stop()
  }
}
