import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryCloud, type MemoryNode } from '../../helpers/memory-cloud.ts'
import { waitFor } from '../../helpers/memory-overlay.ts'

type Cloud = Awaited<ReturnType<typeof createMemoryCloud>>
let cloud: Cloud | undefined

afterEach(() => {
  cloud?.stop()
  cloud = undefined
})

async function converged(n: number) {
  cloud = await createMemoryCloud(n)
  const { nodes } = cloud
  await waitFor(() => nodes.every((x) => x.membership.livePeers().length === n - 1))
  return cloud
}

describe('service catalogue', () => {
  it('publishes on one node and finds the service on every node, then unpublishes it', async () => {
    const { nodes } = await converged(4)
    const [a, , , d] = nodes as [MemoryNode, MemoryNode, MemoryNode, MemoryNode]
    const published: string[] = []
    d.catalogue.events.on('service:published', (s) => published.push(s.type))
    await a.catalogue.publish({
      type: 'web',
      port: 8080,
      description: 'Community wiki',
      txt: { path: '/wiki' },
    })
    await waitFor(() => nodes.every((n) => n.catalogue.search({ type: 'web' }).length === 1))
    const [found] = d.catalogue.search({ type: 'web' })
    expect(found).toMatchObject({
      type: 'web',
      port: 8080,
      description: 'Community wiki',
      nodeName: 'node-1',
      local: false,
    })
    expect(found?.txt).toEqual({ path: '/wiki' })
    expect(published).toEqual(['web'])
    expect(a.saved).toEqual([expect.objectContaining({ type: 'web', port: 8080 })])

    await a.catalogue.unpublish('web', 8080)
    await waitFor(() => nodes.every((n) => n.catalogue.search().length === 0))
    expect(a.saved).toEqual([])
  })

  it('searches by type, host and txt', async () => {
    const { nodes } = await converged(3)
    const [a, b] = nodes as [MemoryNode, MemoryNode]
    await a.catalogue.publish({ type: 'web', port: 80, txt: { lang: 'ca' } })
    await b.catalogue.publish({ type: 'web', port: 81, txt: { lang: 'en' } })
    await b.catalogue.publish({ type: 'ftp', port: 21 })
    const c = nodes[2]!
    await waitFor(() => c.catalogue.search().length === 3)
    expect(c.catalogue.search({ type: 'web' }).map((s) => s.port)).toEqual([80, 81])
    expect(c.catalogue.search({ host: 'node-2' }).map((s) => s.type)).toEqual(['ftp', 'web'])
    expect(c.catalogue.search({ host: b.id }).length).toBe(2)
    expect(c.catalogue.search({ txt: { lang: 'ca' } }).map((s) => s.port)).toEqual([80])
    expect(c.catalogue.search({ type: 'none' })).toEqual([])
  })

  it("removes a dead node's services everywhere", async () => {
    const { nodes, net } = await converged(4)
    const victim = nodes[1]!
    await victim.catalogue.publish({ type: 'game', port: 27015 })
    await waitFor(() => nodes.every((n) => n.catalogue.search({ type: 'game' }).length === 1))
    net.crash(victim.id)
    const others = nodes.filter((n) => n !== victim)
    await waitFor(() => others.every((n) => n.catalogue.search({ type: 'game' }).length === 0), 10_000)
  })

  it('refuses malformed services with a clear error', async () => {
    const { nodes } = await converged(2)
    const a = nodes[0]!
    await expect(a.catalogue.publish({ type: 'Bad Type!', port: 80 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(a.catalogue.publish({ type: 'web', port: 70000 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(a.catalogue.unpublish('web', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('service health checks', () => {
  it('withdraws a service whose port stops answering and restores it when it answers again', async () => {
    let up = true
    cloud = await createMemoryCloud(2, { probe: async () => (up ? 1 : null) })
    const [a, b] = cloud.nodes as [MemoryNode, MemoryNode]
    await waitFor(() => b.membership.livePeers().length === 1)
    await a.catalogue.publish({ type: 'web', port: 8080 })
    await waitFor(() => b.catalogue.search().length === 1)
    up = false
    await waitFor(() => b.catalogue.search().length === 0, 5000, 'withdrawal')
    up = true
    await waitFor(() => b.catalogue.search().length === 1, 5000, 'restoration')
  })

  it('measures quality from the searching node', async () => {
    cloud = await createMemoryCloud(2, { probe: async (_h, port) => (port === 80 ? 2.5 : null) })
    const [a, b] = cloud.nodes as [MemoryNode, MemoryNode]
    await waitFor(() => b.membership.livePeers().length === 1)
    await a.catalogue.publish({ type: 'web', port: 80 })
    await waitFor(() => b.catalogue.search().length === 1)
    const [scanned] = await b.catalogue.scanQuality({ type: 'web' })
    expect(scanned?.quality).toMatchObject({ reachable: true, connectMs: 2.5 })
  })
})
