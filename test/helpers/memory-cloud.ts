import '../../src/util/polyfill.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Catalogue } from '../../src/catalogue/catalogue.ts'
import type { PublishInput } from '../../src/catalogue/types.ts'
import { Gossip } from '../../src/membership/gossip.ts'
import { Membership } from '../../src/membership/membership.ts'
import { TimingSchema } from '../../src/node/config.ts'
import { nodeIdOf } from '../../src/node/identity.ts'
import { silentLogger } from '../../src/util/logger.ts'
import { MemoryNetwork } from './memory-overlay.ts'

/** Fast timings so failure detection and expiry happen within a unit test. */
export const FAST_TIMING = TimingSchema.parse({
  probeIntervalMs: 40,
  probeTimeoutMs: 30,
  suspicionMinMs: 150,
  suspicionMaxMs: 500,
  syncIntervalMs: 150,
  reconnectIntervalMs: 200,
  recordRefreshMs: 5000,
  serviceTtlMs: 3000,
  healthCheckIntervalMs: 100,
})

export interface MemoryNode {
  id: string
  name: string
  gossip: Gossip
  membership: Membership
  catalogue: Catalogue
  saved: PublishInput[]
  stop(): void
}

/**
 * N members wired over an in-memory network: the real gossip, membership and catalogue, with the
 * overlay replaced by function calls. `probe` decides what a TCP health check finds.
 */
export async function createMemoryCloud(
  n: number,
  options: { probe?: (host: string, port: number) => Promise<number | null> } = {},
) {
  const net = new MemoryNetwork()
  const nodes: MemoryNode[] = []
  const logger = silentLogger()
  const addNode = async (name: string, bootstrap: string[]): Promise<MemoryNode> => {
    const privateKey = await generateKeyPair('Ed25519')
    const id = nodeIdOf(privateKey)
    const overlay = net.overlay(id)
    let membership: Membership | undefined
    const gossip = new Gossip(
      { fanout: 3, syncIntervalMs: FAST_TIMING.syncIntervalMs },
      { overlay, privateKey, logger, clock: Date.now, peers: () => membership?.livePeers() ?? [] },
    )
    membership = new Membership(
      {
        timing: FAST_TIMING,
        startedAt: Date.now(),
        describeSelf: async () => ({
          name,
          addrs: overlay.addresses(),
          host: '127.0.0.1',
          apiPort: 0,
          microCloud: 'default',
          version: 'test',
          roles: [],
          resources: {
            cpuCores: 1,
            load1: 0,
            memTotal: 1,
            memFree: 1,
            diskTotal: 1,
            diskFree: 1,
            contributedStorage: 0,
          },
        }),
      },
      { overlay, gossip, privateKey, selfId: id, logger, clock: Date.now },
    )
    const saved: PublishInput[] = []
    const catalogue = new Catalogue(
      { timing: FAST_TIMING, microCloud: () => 'default', defaultHost: () => '127.0.0.1' },
      {
        gossip,
        membership,
        logger,
        clock: Date.now,
        probe: options.probe ?? (async () => 1),
        store: {
          load: async () => [],
          save: async (list) => {
            saved.splice(0, saved.length, ...list)
          },
        },
      },
    )
    await gossip.start()
    await membership.start(bootstrap.map((b) => ({ id: b, addrs: [] })))
    await catalogue.start()
    const node: MemoryNode = {
      id,
      name,
      gossip,
      membership,
      catalogue,
      saved,
      stop() {
        catalogue.stop()
        membership.stop()
        gossip.stop()
      },
    }
    nodes.push(node)
    return node
  }
  const first = await addNode('node-1', [])
  for (let i = 2; i <= n; i++) await addNode(`node-${i}`, [first.id])
  return {
    net,
    nodes,
    addNode,
    statusOn(observer: MemoryNode, subject: MemoryNode) {
      return observer.membership.status(subject.id)
    },
    stop() {
      for (const node of nodes) node.stop()
    },
  }
}
