import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createDnsSdMirror,
  type DnsSdAnnouncement,
  DnsSdPlan,
  type DnsSdResponder,
  dnsLabel,
  instanceName,
} from '../../../src/catalogue/dns-sd-mirror.ts'
import type { ServiceView } from '../../../src/catalogue/types.ts'
import { silentLogger } from '../../../src/util/logger.ts'
import { createMemoryCloud, type MemoryNode } from '../../helpers/memory-cloud.ts'
import { waitFor } from '../../helpers/memory-overlay.ts'

const LAN = '10.9.8.7'

type Cloud = Awaited<ReturnType<typeof createMemoryCloud>>
let cloud: Cloud | undefined

afterEach(() => {
  cloud?.stop()
  cloud = undefined
})

/** Stands in for bonjour-service: records what the mirror asks the LAN to see. */
function recordingResponder() {
  const live = new Map<string, DnsSdAnnouncement>()
  const log: string[] = []
  let closed = false
  const responder: DnsSdResponder = {
    publish(a) {
      live.set(a.key, a)
      log.push(`publish ${a.key} ${a.name}`)
    },
    async unpublish(a) {
      live.delete(a.key)
      log.push(`unpublish ${a.key}`)
    },
    async close() {
      closed = true
    },
  }
  return { responder, live, log, isClosed: () => closed }
}

async function cloudOf(n: number, options: Parameters<typeof createMemoryCloud>[1] = {}) {
  cloud = await createMemoryCloud(n, options)
  const { nodes } = cloud
  await waitFor(() => nodes.every((x) => x.membership.livePeers().length === n - 1))
  return nodes as [MemoryNode, MemoryNode, ...MemoryNode[]]
}

function mirrorOn(node: MemoryNode, hostName = 'node-1-ab12') {
  const rec = recordingResponder()
  const mirror = createDnsSdMirror(
    { hostName, interfaceAddress: LAN },
    { catalogue: node.catalogue, logger: silentLogger(), responder: rec.responder },
  )
  return { mirror, ...rec }
}

describe('DNS-SD mirror', () => {
  it("announces this node's public service with its type, port, txt, description and host name", async () => {
    const [a] = await cloudOf(2)
    const { mirror, live } = mirrorOn(a, 'Node 1.ab12')
    mirror.start()
    await a.catalogue.publish({
      type: 'web',
      port: 8080,
      host: LAN,
      description: 'Community wiki',
      txt: { path: '/wiki' },
      public: true,
    })
    expect([...live.values()]).toEqual([
      {
        key: 'web/8080',
        name: 'Community wiki',
        type: 'web',
        port: 8080,
        host: 'node-1-ab12.local',
        txt: { path: '/wiki' },
      },
    ])
    expect(mirror.announcements()).toEqual([...live.values()])
    await mirror.stop()
  })

  it('never announces non-public services, nor public services of other nodes', async () => {
    const [a, b] = await cloudOf(2)
    const { mirror, log } = mirrorOn(a)
    mirror.start()
    await a.catalogue.publish({ type: 'admin', port: 9000, host: LAN, txt: { token: 'not-for-the-lan' } })
    await b.catalogue.publish({ type: 'web', port: 8080, host: '10.9.8.8', public: true })
    await waitFor(() => a.catalogue.search().length === 2)
    expect(a.catalogue.search().map((s) => [s.type, s.local, s.public])).toEqual([
      ['admin', true, false],
      ['web', false, true],
    ])
    expect(log).toEqual([])
    await mirror.stop()
  })

  it('announces at start what this node already publishes', async () => {
    const [a] = await cloudOf(1)
    await a.catalogue.publish({ type: 'web', port: 80, host: LAN, public: true })
    await a.catalogue.publish({ type: 'ftp', port: 21, host: LAN })
    const { mirror, log } = mirrorOn(a)
    expect(log).toEqual([])
    mirror.start()
    expect(log).toEqual(['publish web/80 web on node-1-ab12'])
    await mirror.stop()
  })

  it('follows updates and withdrawals, and withdraws a service that becomes private', async () => {
    const [a] = await cloudOf(1)
    const { mirror, log, live } = mirrorOn(a)
    mirror.start()
    const wiki = { type: 'web', port: 80, host: LAN, public: true }
    await a.catalogue.publish({ ...wiki, description: 'Wiki', txt: { v: '1' } })
    await a.catalogue.publish({ ...wiki, description: 'Wiki', txt: { v: '2' } })
    expect(live.get('web/80')?.txt).toEqual({ v: '2' })
    await a.catalogue.publish({ ...wiki, description: 'Wiki', txt: { v: '2' }, public: false })
    expect(live.size).toBe(0)
    await a.catalogue.publish({ ...wiki, description: 'Renamed' })
    await a.catalogue.unpublish('web', 80)
    expect(log).toEqual([
      'publish web/80 Wiki',
      'unpublish web/80',
      'publish web/80 Wiki',
      'unpublish web/80',
      'publish web/80 Renamed',
      'unpublish web/80',
    ])
    await mirror.stop()
  })

  it('withdraws a service whose health check fails and announces it again when it recovers', async () => {
    let up = true
    const [a] = await cloudOf(1, { probe: async () => (up ? 1 : null) })
    const { mirror, live } = mirrorOn(a)
    mirror.start()
    await a.catalogue.publish({ type: 'web', port: 80, host: LAN, public: true })
    expect(live.size).toBe(1)
    up = false
    await waitFor(() => live.size === 0, 5000, 'withdrawn after a failed health check')
    up = true
    await waitFor(() => live.size === 1, 5000, 'announced again after recovery')
    await mirror.stop()
  })

  it('withdraws every announcement and closes the responder on stop, then ignores the catalogue', async () => {
    const [a] = await cloudOf(1)
    const { mirror, live, log, isClosed } = mirrorOn(a)
    mirror.start()
    await a.catalogue.publish({ type: 'web', port: 80, host: LAN, public: true })
    await a.catalogue.publish({ type: 'web', port: 81, host: LAN, public: true })
    await mirror.stop()
    expect(live.size).toBe(0)
    expect(isClosed()).toBe(true)
    await a.catalogue.publish({ type: 'web', port: 82, host: LAN, public: true })
    expect(log.filter((l) => l.startsWith('publish'))).toHaveLength(2)
  })

  it('refuses a loopback address: does nothing and says why', async () => {
    const [a] = await cloudOf(1)
    await a.catalogue.publish({ type: 'web', port: 80, public: true })
    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) })
    const rec = recordingResponder()
    for (const interfaceAddress of ['127.0.0.1', '0.0.0.0', '::1']) {
      const mirror = createDnsSdMirror(
        { hostName: 'n', interfaceAddress },
        { catalogue: a.catalogue, logger, responder: rec.responder },
      )
      mirror.start()
      expect(mirror.enabled).toBe(false)
      await mirror.stop()
    }
    expect(rec.log).toEqual([])
    expect(lines).toHaveLength(3)
    expect(lines[0]).toContain('127.0.0.1 is a loopback address')
  })
})

describe('DNS-SD plan', () => {
  const view = (over: Partial<ServiceView>): ServiceView => ({
    type: 'web',
    port: 80,
    description: '',
    host: LAN,
    txt: {},
    microCloud: 'default',
    public: true,
    builtin: false,
    node: 'self',
    nodeName: 'node-1',
    local: true,
    announcedAt: 1,
    ...over,
  })

  it('names an instance after its description, else `<type> on <host>`, unique within the node', () => {
    const plan = new DnsSdPlan({ hostName: 'node-1', interfaceAddress: LAN })
    plan.apply('service:published', view({ port: 80 }))
    plan.apply('service:published', view({ port: 81, description: 'Wiki' }))
    plan.apply('service:published', view({ port: 82, description: 'wiki' }))
    plan.apply('service:published', view({ port: 83, description: 'Wiki' }))
    expect(plan.announcements().map((a) => a.name)).toEqual(['web on node-1', 'Wiki', 'wiki #2', 'Wiki #3'])
    // an update keeps its own name rather than taking the next free one
    expect(plan.apply('service:updated', view({ port: 82, description: 'wiki', txt: { a: 'b' } }))).toEqual([
      { op: 'unpublish', announcement: expect.objectContaining({ name: 'wiki #2' }) },
      { op: 'publish', announcement: expect.objectContaining({ name: 'wiki #2', txt: { a: 'b' } }) },
    ])
  })

  it('skips records that LAN clients could not reach at the interface address', () => {
    const plan = new DnsSdPlan({ hostName: 'node-1', interfaceAddress: LAN })
    for (const host of ['127.0.0.1', 'localhost', '::1', '10.0.0.99'])
      expect(plan.apply('service:published', view({ host }))).toEqual([])
    for (const [port, host] of [
      [1, LAN],
      [2, '0.0.0.0'],
      [3, 'node-1.example.net'],
    ] as const)
      expect(plan.apply('service:published', view({ port, host }))).toHaveLength(1)
  })

  it('ignores removal events about services of other nodes with the same type and port', () => {
    const plan = new DnsSdPlan({ hostName: 'node-1', interfaceAddress: LAN })
    plan.apply('service:published', view({}))
    expect(plan.apply('service:removed', view({ local: false, node: 'other' }))).toEqual([])
    expect(plan.apply('service:removed', view({}))).toHaveLength(1)
  })

  it('keeps names and host labels within DNS limits', () => {
    expect(dnsLabel('Node 1 (Sants)')).toBe('node-1-sants')
    expect(dnsLabel('***')).toBe('cloudy')
    expect(dnsLabel('x'.repeat(80))).toHaveLength(63)
    const long = instanceName('ü'.repeat(40), ' #2')
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63)
    expect(long.endsWith(' #2')).toBe(true)
    expect(instanceName('v1.2 release')).toBe('v1-2 release')
  })
})
