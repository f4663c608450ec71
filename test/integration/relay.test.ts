import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceView } from '../../src/catalogue/types.ts'
import type { MemberView } from '../../src/membership/types.ts'
import type { NodeStatus } from '../../src/node/types.ts'
import {
  createNetnsLab,
  hasNetnsSupport,
  type Iface,
  type LabProcess,
  type NamespacedNode,
  type Netns,
  type NetnsLab,
  namespacedNode,
} from '../helpers/netns.ts'
import { eventually } from '../helpers/test-cloud.ts'

// Two LANs joined only by the relay's namespace, which does not forward: node A shares LAN 1 with
// the relay R, node C shares LAN 2 with it. A and C cannot reach each other directly, so they talk
// through R's circuit relay. No packet leaves the namespaces.

const support = await hasNetnsSupport(['sysctl'])
if (!support.ok) console.warn(`circuit relay test skipped: ${support.reason}`)

/** Prints "connected" or the error code of one TCP connect to argv[1]:argv[2]. */
const TCP_CONNECT = `
const socket = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) })
socket.setTimeout(3000, () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
socket.on('connect', () => { console.log('connected'); socket.end() })
socket.on('error', (err) => console.log(err.code ?? err.message))
`

/** A TCP server on argv[1], port 0, that prints its port. */
const TCP_SERVER = `
const server = require('node:net').createServer((socket) => socket.end())
server.listen(0, process.argv[1], () => console.log('listening on ' + server.address().port))
`

describe.skipIf(!support.ok)('members that reach each other only through a relay', () => {
  let lab: NetnsLab
  let a: NamespacedNode
  let r: NamespacedNode
  let c: NamespacedNode
  let aIf: Iface
  let cIf: Iface
  let ids: { a: string; r: string; c: string }
  let webServer: LabProcess

  const tcpConnect = async (from: Netns, host: string, port: number) =>
    (await lab.exec(from, process.execPath, ['-e', TCP_CONNECT, host, String(port)])).stdout.trim()
  const members = (node: NamespacedNode) => node.json<MemberView[]>(['nodes'])
  const view = async (observer: NamespacedNode, id: string) =>
    (await members(observer)).find((m) => m.id === id)
  const directPort = (status: NodeStatus) => {
    const direct = status.p2pAddrs.find((addr) => !addr.includes('/p2p-circuit'))
    return Number(/\/tcp\/(\d+)/.exec(direct ?? '')?.[1])
  }

  const joinByInvite = async (joiner: NamespacedNode) => {
    const invite = await r.cli(['invite', '--expires', '1h'])
    expect(invite.code, invite.stderr).toBe(0)
    const joined = await joiner.cli(['join', invite.stdout.trim()], 30_000)
    expect(joined.code, joined.stderr).toBe(0)
  }

  beforeAll(async () => {
    lab = await createNetnsLab()
    try {
      const [nsA, nsR, nsC] = [await lab.namespace(), await lab.namespace(), await lab.namespace()]
      ;[aIf] = (await lab.lan([nsA, nsR])) as [Iface, Iface]
      ;[, cIf] = (await lab.lan([nsR, nsC])) as [Iface, Iface]
      // R has an address on both LANs but routes nothing between them
      const noForwarding = await lab.exec(nsR, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0'])
      expect(noForwarding.code, noForwarding.stderr).toBe(0)

      const root = await lab.tempDir()
      // no mDNS: the relay is the only way A and C find each other; A and C use relays (the default)
      const mdns = false
      r = await namespacedNode(lab, nsR, {
        root,
        name: 'relay',
        cloud: 'relay cloud',
        config: { host: '0.0.0.0', mdns },
      })
      a = await namespacedNode(lab, nsA, { root, name: 'node-a', config: { host: aIf.address, mdns } })
      c = await namespacedNode(lab, nsC, { root, name: 'node-c', config: { host: cIf.address, mdns } })

      await r.start()
      const enabled = await r.cli(['service', 'enable', 'relay'])
      expect(enabled.code, enabled.stderr).toBe(0)
      await joinByInvite(a)
      await joinByInvite(c)
      await Promise.all([a.start(), c.start()])
      const [sa, sr, sc] = await Promise.all([a, r, c].map((n) => n.json<NodeStatus>(['status'])))
      ids = { a: sa!.id, r: sr!.id, c: sc!.id }

      webServer = lab.spawn(nsC, process.execPath, ['-e', TCP_SERVER, cIf.address])
      await webServer.waitFor(/listening on \d+/, 10_000)
    } catch (err) {
      await lab.dispose().catch(() => {})
      throw err
    }
  })

  afterAll(async () => {
    await lab?.dispose()
  })

  it('has no direct path between the two LANs', async () => {
    const cPort = directPort(await c.json<NodeStatus>(['status']))
    expect(cPort).toBeGreaterThan(0)
    // the relay reaches C's overlay port; A, on the other LAN, does not
    expect(await tcpConnect(r.ns, cIf.address, cPort)).toBe('connected')
    expect(await tcpConnect(a.ns, cIf.address, cPort)).not.toBe('connected')
    expect(await tcpConnect(c.ns, aIf.address, directPort(await a.json<NodeStatus>(['status'])))).not.toBe(
      'connected',
    )
  })

  it('makes A and C alive members of each other, connected through the relay', async () => {
    const relayedAlive = async (observer: NamespacedNode, id: string) => {
      const m = await view(observer, id)
      // lastSeen: the observer's own probe reached the member (not only the relay's word for it)
      return m?.status === 'alive' && m.relayed && m.lastSeen !== null
    }
    await eventually(() => relayedAlive(a, ids.c), 'A to reach C through the relay', 30_000)
    await eventually(() => relayedAlive(c, ids.a), 'C to reach A through the relay', 30_000)

    const cSeenByA = await view(a, ids.c)
    expect(cSeenByA).toMatchObject({ name: 'node-c', status: 'alive', relayed: true })
    expect(cSeenByA?.addrs.some((addr) => addr.includes(`/p2p/${ids.r}/p2p-circuit/p2p/${ids.c}`))).toBe(true)
    const table = await a.cli(['nodes'])
    expect(table.stdout.split('\n').find((line) => line.includes('node-c'))).toContain('alive (relayed)')
    // members on the same LAN as the relay reach it directly
    expect(await view(r, ids.a)).toMatchObject({ status: 'alive', relayed: false })
    expect(await view(a, ids.r)).toMatchObject({ status: 'alive', relayed: false })
    expect(await view(r, ids.c)).toMatchObject({ status: 'alive', relayed: false })
  })

  it('finds a service published on C from A', async () => {
    const port = Number(/listening on (\d+)/.exec(webServer.output())?.[1])
    const published = await c.cli(['publish', 'web', String(port), '--description', 'Wiki behind the relay'])
    expect(published.code, published.stderr).toBe(0)
    let found: ServiceView[] = []
    await eventually(
      async () => {
        found = await a.json<ServiceView[]>(['search', 'web'])
        return found.length === 1
      },
      'A to find the service of C',
      30_000,
    )
    expect(found[0]).toMatchObject({
      type: 'web',
      port,
      host: cIf.address,
      description: 'Wiki behind the relay',
      node: ids.c,
      nodeName: 'node-c',
    })
  })

  it('declares C dead on A when C is killed', async () => {
    await c.kill()
    await eventually(async () => (await view(a, ids.c))?.status === 'dead', 'A to see C dead', 30_000)
    await eventually(
      async () => (await a.json<ServiceView[]>(['search', 'web'])).length === 0,
      "A to drop C's service",
      30_000,
    )
    expect((await view(a, ids.r))?.status).toBe('alive')
  })
})
