import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MemberView } from '../../src/membership/types.ts'
import { decodeInvite } from '../../src/net/invite.ts'
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

// Six namespaces on one bridged LAN: A, B and C, members of one cloud that know nothing of each other
// but what mDNS tells them (C listens on 0.0.0.0); X, with mDNS on, in another cloud; L, with mDNS on
// but listening on 127.0.0.1 only; M, which only listens to the LAN's mDNS. A is multi-homed: a second
// veth leads to W (its "WAN"), where its default route points and where a listener counts every mDNS
// packet that arrives. No namespace has a route for multicast: a node must send out of the interface
// it listens on by itself. The multicast stays inside the lab.

const support = await hasNetnsSupport(['ss'])
if (!support.ok) console.warn(`mDNS discovery test skipped: ${support.reason}`)

const MDNS_PORT = 5353
const MDNS_GROUP = '224.0.0.251'
const DNS_PACKET = createRequire(createRequire(import.meta.url).resolve('multicast-dns')).resolve(
  'dns-packet',
)

/** Prints "listening", then one JSON line per datagram to the mDNS port: sender and record names. */
const MDNS_LISTENER = `
const [dnsPacket, ifaceAddress] = process.argv.slice(1)
const packet = require(dnsPacket)
const socket = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true })
socket.on('message', (buf, rinfo) => {
  let summary
  try {
    const p = packet.decode(buf)
    summary = { type: p.type, names: [...p.questions, ...p.answers, ...p.additionals].map((r) => r.name) }
  } catch (err) {
    summary = { undecodable: err.message }
  }
  console.log(JSON.stringify({ from: rinfo.address, ...summary }))
})
socket.bind(${MDNS_PORT}, '0.0.0.0', () => {
  socket.addMembership('${MDNS_GROUP}', ifaceAddress)
  console.log('listening')
})
`

/** Sends one mDNS query (PTR argv[3]) out of the interface with address argv[2]; prints "sent". */
const MDNS_QUERY = `
const [dnsPacket, ifaceAddress, name] = process.argv.slice(1)
const buf = require(dnsPacket).encode({ type: 'query', id: 0, questions: [{ name, type: 'PTR' }] })
const socket = require('node:dgram').createSocket('udp4')
socket.bind(0, () => {
  socket.setMulticastInterface(ifaceAddress)
  socket.send(buf, ${MDNS_PORT}, '${MDNS_GROUP}', (err) => {
    console.log(err ? 'failed: ' + err.message : 'sent')
    socket.close()
  })
})
`

interface HeardPacket {
  from: string
  type?: 'query' | 'response'
  names?: string[]
  undecodable?: string
}

describe.skipIf(!support.ok)('mDNS discovery on the LAN', () => {
  let lab: NetnsLab
  let a: NamespacedNode
  let b: NamespacedNode
  let c: NamespacedNode
  let x: NamespacedNode
  let l: NamespacedNode
  let lanIfs: Iface[]
  let aWan: Iface
  let wWan: Iface
  let lanListener: LabProcess
  let wanListener: LabProcess
  let serviceName: string
  let ids: { a: string; b: string; c: string; x: string; l: string }

  const members = (node: NamespacedNode) => node.json<MemberView[]>(['nodes'])
  const aliveIds = async (node: NamespacedNode) =>
    (await members(node))
      .filter((m) => m.status === 'alive')
      .map((m) => m.id)
      .sort()
  /** the UDP sockets bound to the mDNS port inside a namespace */
  const mdnsSockets = async (ns: Netns) => {
    const r = await lab.exec(ns, 'ss', ['-H', '-u', '-a', '-n', '-p'])
    expect(r.code, r.stderr).toBe(0)
    return r.stdout
      .split('\n')
      .filter((line) => line.split(/\s+/).some((col) => col.endsWith(`:${MDNS_PORT}`)))
  }
  /** the IPv4 multicast groups joined on an interface */
  const multicastGroups = async (i: Iface) => {
    const r = await lab.exec(i.ns, 'ip', ['-4', 'maddr', 'show', 'dev', i.ifname])
    expect(r.code, r.stderr).toBe(0)
    return [...r.stdout.matchAll(/inet\s+(\S+)/g)].map((m) => m[1])
  }
  /** whether the node's overlay said it runs mDNS, from its "overlay started" log line */
  const overlayMdns = (node: NamespacedNode) => {
    const line = node.daemon
      ?.output()
      .split('\n')
      .find((l) => l.includes('"msg":"overlay started"'))
    return line === undefined ? undefined : (JSON.parse(line) as { mdns: boolean }).mdns
  }
  /** log lines about connections refused in the cloud-key handshake */
  const refusals = (node: NamespacedNode) =>
    (node.daemon?.output() ?? '').split('\n').filter((l) => l.includes('refused a connection'))
  /** established TCP connections inside a namespace, as "local peer" pairs */
  const tcpConnections = async (ns: Netns) => {
    const r = await lab.exec(ns, 'ss', ['-H', '-t', '-n', 'state', 'established'])
    expect(r.code, r.stderr).toBe(0)
    return r.stdout.split('\n').filter((line) => line.trim() !== '')
  }
  /** what a listener heard so far */
  const heard = (listener: LabProcess): HeardPacket[] =>
    listener
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as HeardPacket)
  const sendQuery = async (ns: Netns, ifaceAddress: string, name: string) => {
    const r = await lab.exec(ns, process.execPath, ['-e', MDNS_QUERY, DNS_PACKET, ifaceAddress, name])
    expect(r.stdout.trim(), r.stderr).toBe('sent')
  }
  const hasLoopback = (addrs: string[]) => addrs.some((addr) => /^\/ip4\/127\.|^\/ip6\/::1\//.test(addr))

  /** B and C join A's cloud by invite, then forget where A is: only mDNS can bring them together */
  const joinAndForget = async (joiner: NamespacedNode) => {
    const invite = await a.cli(['invite', '--expires', '1h'])
    expect(invite.code, invite.stderr).toBe(0)
    const joined = await joiner.cli(['join', invite.stdout.trim()], 30_000)
    expect(joined.code, joined.stderr).toBe(0)
    const cloudPath = join(joiner.dataDir, 'cloud.json')
    const cloud = JSON.parse(await readFile(cloudPath, 'utf8')) as { peers: unknown[] }
    expect(cloud.peers.length).toBeGreaterThan(0)
    await writeFile(cloudPath, JSON.stringify({ ...cloud, peers: [] }))
  }

  beforeAll(async () => {
    lab = await createNetnsLab()
    try {
      const spaces: Netns[] = []
      for (let i = 0; i < 7; i++) spaces.push(await lab.namespace())
      const [nsA, nsB, nsC, nsX, nsL, nsM, nsW] = spaces as [Netns, Netns, Netns, Netns, Netns, Netns, Netns]
      lanIfs = await lab.lan([nsA, nsB, nsC, nsX, nsL, nsM])
      const [aIf, bIf, , xIf, , mIf] = lanIfs as [Iface, Iface, Iface, Iface, Iface, Iface]
      ;[aWan, wWan] = await lab.link(nsA, nsW)
      // A's default route leaves through the WAN interface: where unpinned multicast would go
      const routed = await lab.exec(nsA, 'ip', [
        'route',
        'add',
        'default',
        'via',
        wWan.address,
        'dev',
        aWan.ifname,
      ])
      expect(routed.code, routed.stderr).toBe(0)

      // the listeners run before any node starts, so they hear every packet sent at start
      lanListener = lab.spawn(nsM, process.execPath, ['-e', MDNS_LISTENER, DNS_PACKET, mIf.address])
      wanListener = lab.spawn(nsW, process.execPath, ['-e', MDNS_LISTENER, DNS_PACKET, wWan.address])
      await Promise.all([lanListener.waitFor(/^listening$/m), wanListener.waitFor(/^listening$/m)])

      const root = await lab.tempDir()
      const on = (ns: Netns, name: string, host: string, cloud?: string) =>
        namespacedNode(lab, ns, { root, name, ...(cloud ? { cloud } : {}), config: { host, mdns: true } })
      a = await on(nsA, 'node-a', aIf.address, 'lan cloud')
      b = await on(nsB, 'node-b', bIf.address)
      c = await on(nsC, 'node-c', '0.0.0.0')
      x = await on(nsX, 'node-x', xIf.address, 'other cloud')
      l = await on(nsL, 'node-l', '127.0.0.1', 'loopback cloud')

      await a.start()
      await joinAndForget(b)
      await joinAndForget(c)
      await Promise.all([x.start(), l.start()])
      await Promise.all([b.start(), c.start()])
      const statuses = await Promise.all([a, b, c, x, l].map((n) => n.json<NodeStatus>(['status'])))
      const [sa, sb, sc, sx, sl] = statuses as [NodeStatus, NodeStatus, NodeStatus, NodeStatus, NodeStatus]
      expect(sa.cloud?.id).toBe(sb.cloud?.id)
      expect(sa.cloud?.id).toBe(sc.cloud?.id)
      ids = { a: sa.id, b: sb.id, c: sc.id, x: sx.id, l: sl.id }
      serviceName = `_cloudy-${sa.cloud?.keyFingerprint.slice(0, 8)}._udp.local`
    } catch (err) {
      await lab.dispose().catch(() => {})
      throw err
    }
  })

  afterAll(async () => {
    await lab?.dispose()
  })

  it('brings the members of one cloud together as alive members of each other', async () => {
    const all = [ids.a, ids.b, ids.c].sort()
    for (const [node, name] of [
      [a, 'A'],
      [b, 'B'],
      [c, 'C'],
    ] as const) {
      await eventually(
        async () => JSON.stringify(await aliveIds(node)) === JSON.stringify(all),
        `${name} to list the other two alive`,
        30_000,
      )
    }
    expect((await members(a)).find((m) => m.id === ids.b)).toMatchObject({ name: 'node-b', relayed: false })
  })

  it('announces no loopback address from a member listening on every interface', async () => {
    const cIf = lanIfs[2] as Iface
    expect(overlayMdns(c)).toBe(true)
    const status = await c.json<NodeStatus>(['status'])
    expect(hasLoopback(status.p2pAddrs), status.p2pAddrs.join(' ')).toBe(false)
    expect(status.p2pAddrs.some((addr) => addr.startsWith(`/ip4/${cIf.address}/tcp/`))).toBe(true)
    const seenByA = (await members(a)).find((m) => m.id === ids.c)
    expect(seenByA?.addrs.length).toBeGreaterThan(0)
    expect(hasLoopback(seenByA?.addrs ?? []), seenByA?.addrs.join(' ')).toBe(false)
    // nor does its join server put one into invites
    const invite = await c.cli(['invite', '--expires', '1h'])
    expect(invite.code, invite.stderr).toBe(0)
    const { addrs } = decodeInvite(invite.stdout.trim())
    expect(hasLoopback(addrs), addrs.join(' ')).toBe(false)
    expect(addrs.some((addr) => addr.startsWith(`/ip4/${cIf.address}/tcp/`))).toBe(true)
  })

  it('never lists or connects to a node of another cloud on the same LAN', async () => {
    // X runs mDNS too (it answers on the LAN), for its own cloud only
    expect(overlayMdns(x)).toBe(true)
    expect(await mdnsSockets(x.ns)).not.toEqual([])
    for (const node of [a, b, c]) {
      const listed = (await members(node)).map((m) => m.id)
      expect(listed.sort()).toEqual([ids.a, ids.b, ids.c].sort())
    }
    expect((await members(x)).map((m) => m.id)).toEqual([ids.x])
    // a connection attempt across clouds fails the cloud-key handshake, and both ends log it
    for (const node of [a, b, c, x]) expect(refusals(node)).toEqual([])
    const xAddress = (lanIfs[3] as Iface).address
    expect(await tcpConnections(x.ns)).not.toContainEqual(expect.stringContaining(`${xAddress}:`))
  })

  it('sends no mDNS from a node that listens on loopback only', async () => {
    const lIf = lanIfs[4] as Iface
    const aIf = lanIfs[0] as Iface
    // the positive controls: a LAN node binds the mDNS port and joins the mDNS group on the LAN
    expect(await mdnsSockets(a.ns)).not.toEqual([])
    expect(await multicastGroups(aIf)).toContain(MDNS_GROUP)
    expect(overlayMdns(l)).toBe(false)
    expect(await mdnsSockets(l.ns)).toEqual([])
    expect(await multicastGroups(lIf)).not.toContain(MDNS_GROUP)
    expect((await members(l)).map((m) => m.id)).toEqual([ids.l])
    expect(heard(lanListener).filter((p) => p.from === lIf.address)).toEqual([])
  })

  it('keeps the mDNS of a multi-homed node on the interface it listens on', async () => {
    const aIf = lanIfs[0] as Iface
    expect(await multicastGroups(aIf)).toContain(MDNS_GROUP)
    expect(await multicastGroups(aWan)).not.toContain(MDNS_GROUP)

    // the positive control on the LAN: A queries for its cloud and answers for itself there
    const fromA = () => heard(lanListener).filter((p) => p.from === aIf.address)
    const ofCloud = (p: HeardPacket) => p.names?.includes(serviceName) ?? false
    expect(fromA().some((p) => p.type === 'query' && ofCloud(p))).toBe(true)
    expect(fromA().some((p) => p.type === 'response' && ofCloud(p))).toBe(true)

    // a host on the WAN asks for the cloud; A must neither hear it nor answer there
    await sendQuery(wWan.ns, wWan.address, serviceName)
    const sentSoFar = fromA().length
    await eventually(() => fromA().length > sentSoFar, 'A to send more mDNS on the LAN', 30_000)

    // the listener on the WAN works: a packet sent out of A's WAN interface on purpose arrives
    const control = `cloudy-test-control-${Date.now()}.local`
    await sendQuery(aWan.ns, aWan.address, control)
    await eventually(
      () => heard(wanListener).some((p) => p.names?.includes(control) ?? false),
      'the WAN listener to hear the control packet',
      10_000,
    )
    const leaked = heard(wanListener).filter(
      (p) => p.from !== wWan.address && !(p.names?.length === 1 && p.names[0] === control),
    )
    expect(leaked).toEqual([])
  })
})
