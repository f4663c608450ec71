import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceView } from '../../src/catalogue/types.ts'
import type { MemberView } from '../../src/membership/types.ts'
import type { NodeStatus } from '../../src/node/types.ts'
import {
  createTestCloud,
  eventually,
  prepareNode,
  type TestCloud,
  type TestNode,
} from '../helpers/test-cloud.ts'

let cloud: TestCloud
let service: Server
let servicePort = 0

const members = (node: TestNode) => node.api<MemberView[]>('GET', '/nodes')
const aliveNames = async (node: TestNode) =>
  (await members(node))
    .filter((m) => m.status === 'alive')
    .map((m) => m.name)
    .sort()
const statusOf = async (observer: TestNode, subject: string) =>
  (await members(observer)).find((m) => m.name === subject)?.status

beforeAll(async () => {
  service = createServer((socket) => socket.end())
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve))
  servicePort = (service.address() as { port: number }).port
  cloud = await createTestCloud(5)
})

afterAll(async () => {
  await cloud?.cleanup()
  service?.close()
})

describe('a cloud of five node processes', () => {
  it('converges: every node sees all five members alive', async () => {
    const all = cloud.nodes.map((n) => n.name).sort()
    for (const node of cloud.nodes) {
      await eventually(
        async () => JSON.stringify(await aliveNames(node)) === JSON.stringify(all),
        `${node.name} sees all`,
      )
    }
    const status = await cloud.nodes[2]!.api<NodeStatus>('GET', '/status')
    expect(status.cloud?.name).toBe('test cloud')
    expect(status.members.alive).toBe(5)
    const first = (await members(cloud.nodes[4]!)).find((m) => m.name === 'node-1')!
    expect(first.resources.cpuCores).toBeGreaterThan(0)
    expect(first.resources.memTotal).toBeGreaterThan(0)
  })

  it('publishes a service on one node, finds it on every node, and unpublishes it', async () => {
    const [, second, , , fifth] = cloud.nodes as TestNode[]
    await second!.api('POST', '/services', {
      type: 'web',
      port: servicePort,
      description: 'Community wiki',
      txt: { path: '/wiki' },
    })
    for (const node of cloud.nodes) {
      await eventually(
        async () => (await node.api<ServiceView[]>('GET', '/services?type=web')).length === 1,
        `${node.name} finds the service`,
      )
    }
    const [found] = await fifth!.api<ServiceView[]>('GET', `/services?type=web&host=node-2&txt=path=/wiki`)
    expect(found).toMatchObject({
      type: 'web',
      port: servicePort,
      description: 'Community wiki',
      nodeName: 'node-2',
    })
    const cli = await fifth!.cli(['search', 'web', '--json'])
    expect(cli.code).toBe(0)
    expect(JSON.parse(cli.stdout)).toEqual([
      expect.objectContaining({ port: servicePort, nodeName: 'node-2' }),
    ])

    await second!.api('DELETE', `/services/web/${servicePort}`)
    for (const node of cloud.nodes) {
      await eventually(
        async () => (await node.api<ServiceView[]>('GET', '/services?type=web')).length === 0,
        `${node.name} no longer finds the service`,
      )
    }
  })

  it('declares a killed node dead everywhere and drops its services; a restart rejoins', async () => {
    const victim = cloud.nodes[3]!
    const victimId = (await victim.api<NodeStatus>('GET', '/status')).id
    await victim.api('POST', '/services', { type: 'game', port: servicePort, description: 'Game server' })
    await eventually(
      async () => (await cloud.nodes[0]!.api<ServiceView[]>('GET', '/services?type=game')).length === 1,
      'the game service is seen',
    )
    await victim.kill()
    const others = cloud.nodes.filter((n) => n !== victim)
    for (const node of others) {
      await eventually(
        async () => (await statusOf(node, victim.name)) === 'dead',
        `${node.name} sees the victim dead`,
      )
      await eventually(
        async () => (await node.api<ServiceView[]>('GET', '/services?type=game')).length === 0,
        `${node.name} drops the victim's service`,
      )
    }

    await victim.start()
    expect((await victim.api<NodeStatus>('GET', '/status')).id).toBe(victimId)
    for (const node of others) {
      await eventually(
        async () => (await statusOf(node, victim.name)) === 'alive',
        `${node.name} sees the victim back`,
      )
    }
    // its published service was kept and comes back with it
    await eventually(
      async () => (await cloud.nodes[0]!.api<ServiceView[]>('GET', '/services?type=game')).length === 1,
      'the restarted node publishes its saved service again',
    )
  })

  it('spreads a graceful stop as "left"', async () => {
    const leaver = cloud.nodes[4]!
    await leaver.stop()
    await eventually(async () => (await statusOf(cloud.nodes[0]!, leaver.name)) === 'left', 'left')
    await leaver.start()
    await eventually(
      async () => (await statusOf(cloud.nodes[0]!, leaver.name)) === 'alive',
      'back after leaving',
    )
  })

  it('refuses a node that holds another cloud key, and logs the attempt', async () => {
    // The outsider has its own one-node cloud, and is pointed at node 1.
    const outsider = await prepareNode(cloud.root, 'outsider', { cloud: 'outsiders' })
    const first = cloud.nodes[0]!
    const firstStatus = await first.api<NodeStatus>('GET', '/status')
    const cloudFile = join(outsider.dataDir, 'cloud.json')
    const saved = JSON.parse(await readFile(cloudFile, 'utf8'))
    saved.peers = [{ id: firstStatus.id, addrs: firstStatus.p2pAddrs }]
    await writeFile(cloudFile, JSON.stringify(saved))
    await outsider.start()
    try {
      await eventually(() => /refused/i.test(first.log), 'node 1 logs the refused connection')
      expect((await members(outsider)).map((m) => m.name)).toEqual(['outsider'])
      expect((await members(first)).some((m) => m.name === 'outsider')).toBe(false)
      expect(await outsider.api<ServiceView[]>('GET', '/services')).toEqual([])
    } finally {
      await outsider.kill()
    }
  })
})

describe('invites', () => {
  it('refuses used, revoked, expired and garbage invites with clear errors', async () => {
    const first = cloud.nodes[0]!
    const joiner = await prepareNode(cloud.root, 'joiner')
    const join = (code: string) => joiner.cli(['join', code])

    const garbage = await join('not-an-invite')
    expect(garbage.code).toBe(2)
    expect(garbage.stderr).toMatch(/invite/i)

    const revoked = await first.api<{ id: string; code: string }>('POST', '/invites', { expires: '1h' })
    await first.api('DELETE', `/invites/${revoked.id}`)
    const r1 = await join(revoked.code)
    expect(r1.code).toBe(7)
    expect(r1.stderr).toMatch(/revoked/)

    const shortLived = await first.api<{ code: string }>('POST', '/invites', { expires: '1s' })
    await new Promise((r) => setTimeout(r, 1100))
    const r2 = await join(shortLived.code)
    expect(r2.code).toBe(7)
    expect(r2.stderr).toMatch(/expired/)

    const good = await first.api<{ code: string }>('POST', '/invites', { expires: '1h' })
    const ok = await join(good.code)
    expect(ok.code, ok.stderr).toBe(0)
    const other = await prepareNode(cloud.root, 'second-joiner')
    const reused = await other.cli(['join', good.code])
    expect(reused.code).toBe(7)
    expect(reused.stderr).toMatch(/used/)

    const list = await first.api<{ state: string }[]>('GET', '/invites')
    expect(list.map((i) => i.state)).toEqual(expect.arrayContaining(['revoked', 'expired', 'used']))
  })

  it('refuses an invite for a cloud its issuer no longer belongs to', async () => {
    const issuer = await prepareNode(cloud.root, 'issuer', { cloud: 'first cloud' })
    await issuer.start()
    try {
      const invite = await issuer.api<{ code: string }>('POST', '/invites', { expires: '1h' })
      await issuer.api('POST', '/cloud', { name: 'another cloud', force: true })
      const joiner = await prepareNode(cloud.root, 'late-joiner')
      const result = await joiner.cli(['join', invite.code])
      expect(result.code).toBe(7)
      expect(result.stderr).toMatch(/not known/)
    } finally {
      await issuer.kill()
    }
  })
})

describe('the API and the CLI on bad input', () => {
  it('answers malformed input with 4xx and a stable code, never 5xx', async () => {
    const node = cloud.nodes[1]!
    const bad: [string, string, unknown][] = [
      ['POST', '/services', { type: 'Not A Type', port: 80 }],
      ['POST', '/services', { type: 'web', port: 0 }],
      ['POST', '/services', { type: 'web', port: 'eighty' }],
      ['POST', '/invites', { expires: 'soon' }],
      ['POST', '/cloud/join', { invite: 'garbage' }],
      ['DELETE', '/services/web/99999', undefined],
      ['DELETE', '/invites/nope', undefined],
    ]
    for (const [method, path, body] of bad) {
      const err = await node.api(method, path, body).then(
        () => undefined,
        (e: { status: number; body: { error: { code: string; message: string } } }) => e,
      )
      expect(err, `${method} ${path}`).toBeDefined()
      expect(err!.status, `${method} ${path}`).toBeGreaterThanOrEqual(400)
      expect(err!.status, `${method} ${path}`).toBeLessThan(500)
      expect(err!.body.error.code).toMatch(/^[A-Z_]+$/)
      expect(err!.body.error.message.length).toBeGreaterThan(0)
    }
    const noAuth = await fetch(`${node.apiUrl}/api/v1/status`)
    expect(noAuth.status).toBe(401)
  })

  it('refuses a second daemon on the same data directory', async () => {
    const node = cloud.nodes[1]!
    const second = await node.cli(['start', '--api-port', '0', '--p2p-port', '0'])
    expect(second.code).toBe(3)
    expect(second.stderr).toMatch(/already runs/)
  })

  it('says clearly when no daemon runs', async () => {
    const idle = await prepareNode(cloud.root, 'idle')
    const result = await idle.cli(['status'])
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/no Cloudy daemon runs/)
  })
})
