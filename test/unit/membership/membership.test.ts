import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryCloud } from '../../helpers/memory-cloud.ts'
import { waitFor } from '../../helpers/memory-overlay.ts'

type Cloud = Awaited<ReturnType<typeof createMemoryCloud>>
let cloud: Cloud | undefined

afterEach(() => {
  cloud?.stop()
  cloud = undefined
})

describe('membership', () => {
  it('converges: every member knows every other as alive', async () => {
    cloud = await createMemoryCloud(6)
    const { nodes } = cloud
    await waitFor(() =>
      nodes.every((n) => n.membership.members().filter((m) => m.status === 'alive').length === 6),
    )
    const names = nodes[3]?.membership.members().map((m) => m.name)
    expect(names).toEqual(['node-1', 'node-2', 'node-3', 'node-4', 'node-5', 'node-6'])
    expect(nodes[0]?.membership.members().filter((m) => m.self)).toHaveLength(1)
  })

  it('declares a crashed member suspect, then dead, everywhere', async () => {
    cloud = await createMemoryCloud(5)
    const { nodes, net } = cloud
    await waitFor(() => nodes.every((n) => n.membership.livePeers().length === 4))
    const victim = nodes[2]!
    const events: string[] = []
    nodes[0]!.membership.events.on('member:suspected', (m) => m.id === victim.id && events.push('suspected'))
    nodes[0]!.membership.events.on('member:died', (m) => m.id === victim.id && events.push('died'))
    net.crash(victim.id)
    const others = nodes.filter((n) => n !== victim)
    await waitFor(
      () => others.every((n) => n.membership.status(victim.id) === 'dead'),
      10_000,
      'dead everywhere',
    )
    expect(events).toContain('died')
    expect(events.indexOf('suspected')).toBeLessThan(events.indexOf('died'))
  })

  it('lets a suspected member that is alive refute the suspicion', async () => {
    cloud = await createMemoryCloud(4)
    const { nodes, net } = cloud
    await waitFor(() => nodes.every((n) => n.membership.livePeers().length === 3))
    const victim = nodes[1]!
    // A short outage: long enough to be suspected, shorter than the suspicion timeout.
    net.down.add(victim.id)
    await waitFor(
      () => nodes.some((n) => n !== victim && n.membership.status(victim.id) === 'suspect'),
      10_000,
    )
    net.revive(victim.id)
    await waitFor(
      () => nodes.every((n) => n === victim || n.membership.status(victim.id) === 'alive'),
      10_000,
      'refutation',
    )
  })

  it('spreads a graceful leave as "left", not "dead"', async () => {
    cloud = await createMemoryCloud(4)
    const { nodes } = cloud
    await waitFor(() => nodes.every((n) => n.membership.livePeers().length === 3))
    const leaver = nodes[3]!
    await leaver.membership.leave()
    await waitFor(() => nodes.slice(0, 3).every((n) => n.membership.status(leaver.id) === 'left'))
  })

  it('merges again after a partition heals', async () => {
    cloud = await createMemoryCloud(3)
    const { nodes, net } = cloud
    await waitFor(() => nodes.every((n) => n.membership.livePeers().length === 2))
    const victim = nodes[2]!
    net.crash(victim.id)
    await waitFor(() => nodes[0]!.membership.status(victim.id) === 'dead', 10_000)
    net.revive(victim.id)
    // The partition heals: the members find each other again and refute each other's death claims.
    await waitFor(
      () => nodes.every((a) => nodes.every((b) => a === b || a.membership.status(b.id) === 'alive')),
      10_000,
      'rejoin',
    )
  })

  it('never declares anyone dead in a healthy cloud', async () => {
    cloud = await createMemoryCloud(5)
    const { nodes } = cloud
    let deaths = 0
    for (const n of nodes) n.membership.events.on('member:died', () => deaths++)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(deaths).toBe(0)
    expect(nodes.every((n) => n.membership.livePeers().length === 4)).toBe(true)
  })
})
