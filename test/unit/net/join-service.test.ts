import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeCloudKey, generateCloudKey, newCloudId } from '../../../src/net/cloud-key.ts'
import type { Invite } from '../../../src/net/invite.ts'
import {
  createJoinServer,
  JOIN_DEFAULTS,
  type JoinGrant,
  type JoinRequest,
  requestJoin,
} from '../../../src/net/join-service.ts'
import { CloudyError } from '../../../src/util/errors.ts'
import { silentLogger } from '../../../src/util/logger.ts'
import { overlayFixture } from './net-fixture.ts'

const fixture = overlayFixture()
afterEach(() => fixture.stopAll())
const logger = silentLogger()
const TOKEN = 'A'.repeat(43)

function grantFor(cloudId: string): JoinGrant {
  return {
    cloudId,
    cloudName: 'village',
    cloudKey: encodeCloudKey(generateCloudKey()),
    members: [{ id: 'member-a', addrs: ['/ip4/10.0.0.1/tcp/4001/p2p/member-a'] }],
    settings: { replicas: 3 },
  }
}

async function startServer(onJoin: (request: JoinRequest) => Promise<JoinGrant>) {
  const privateKey = await generateKeyPair('Ed25519')
  const server = fixture.track(
    await createJoinServer({ privateKey, host: '127.0.0.1', port: 0, onJoin }, { logger }),
  )
  return { server, peer: peerIdFromPrivateKey(privateKey).toString() }
}

function inviteFor(peer: string, addrs: string[], cloudId = newCloudId()): Invite {
  return { v: 1, cloudId, cloudName: 'village', token: TOKEN, peer, addrs, expiresAt: Date.now() + 60_000 }
}

async function joiner(): Promise<{ privateKey: PrivateKey; id: string }> {
  const privateKey = await generateKeyPair('Ed25519')
  return { privateKey, id: peerIdFromPrivateKey(privateKey).toString() }
}

describe('join service', { timeout: 10_000 }, () => {
  it('grants a join on a good token and tells onJoin who asks', async () => {
    const cloudId = newCloudId()
    const offered = grantFor(cloudId)
    const requests: JoinRequest[] = []
    const { server, peer } = await startServer(async (request) => {
      requests.push(request)
      return offered
    })
    expect(server.addresses().every((a) => a.endsWith(`/p2p/${peer}`))).toBe(true)
    const me = await joiner()
    const grant = await requestJoin(
      inviteFor(peer, server.addresses(), cloudId),
      { privateKey: me.privateKey, name: 'newcomer' },
      { logger },
    )
    expect(grant).toEqual(offered)
    expect(requests).toEqual([{ token: TOKEN, joiner: me.id, name: 'newcomer' }])
  })

  it("gives the joiner onJoin's refusal with its code and message", async () => {
    const { server, peer } = await startServer(async () => {
      throw new CloudyError('INVITE_REFUSED', 'the invite was already used; ask a member for a new one')
    })
    const me = await joiner()
    const err = await requestJoin(
      inviteFor(peer, server.addresses()),
      { privateKey: me.privateKey, name: 'n' },
      { logger },
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CloudyError)
    expect(err).toMatchObject({
      code: 'INVITE_REFUSED',
      message: 'the invite was already used; ask a member for a new one',
    })
  })

  it('fails with JOIN_FAILED naming the addresses tried when none is reachable', async () => {
    const me = await joiner()
    const peer = (await joiner()).id
    const addrs = [`/ip4/127.0.0.1/tcp/1/p2p/${peer}`, `/ip4/127.0.0.1/tcp/2/p2p/${peer}`]
    const err = (await requestJoin(
      inviteFor(peer, addrs),
      { privateKey: me.privateKey, name: 'n' },
      { logger },
    ).catch((e: unknown) => e)) as CloudyError
    expect(err.code).toBe('JOIN_FAILED')
    for (const addr of addrs) expect(err.message).toContain(addr)
  })

  it('fails when the node at the address is not the peer the invite names', async () => {
    const { server, peer } = await startServer(async () => grantFor(newCloudId()))
    const impostor = (await joiner()).id
    const addrs = server.addresses().map((a) => a.replace(peer, impostor))
    const me = await joiner()
    const err = (await requestJoin(
      inviteFor(impostor, addrs),
      { privateKey: me.privateKey, name: 'n' },
      { logger },
    ).catch((e: unknown) => e)) as CloudyError
    expect(err.code).toBe('JOIN_FAILED')
    expect(err.message).toContain(`the node there is not ${impostor}`)
  })

  it('refuses a grant for another cloud than the invite names', async () => {
    const { server, peer } = await startServer(async () => grantFor(newCloudId()))
    const me = await joiner()
    await expect(
      requestJoin(inviteFor(peer, server.addresses()), { privateKey: me.privateKey, name: 'n' }, { logger }),
    ).rejects.toMatchObject({
      code: 'JOIN_FAILED',
      message: expect.stringMatching(/but the invite is for cloud/),
    })
  })

  it('limits join attempts per peer and address', async () => {
    const { server, peer } = await startServer(async () => {
      throw new CloudyError('INVITE_REFUSED', 'unknown invite')
    })
    const me = await joiner()
    const attempt = () =>
      requestJoin(
        inviteFor(peer, server.addresses()),
        { privateKey: me.privateKey, name: 'n' },
        { logger },
      ).catch((e: CloudyError) => e.code)
    for (let i = 0; i < JOIN_DEFAULTS.attemptsPerMinute; i++) expect(await attempt()).toBe('INVITE_REFUSED')
    expect(await attempt()).toBe('RATE_LIMITED')
  })

  it('stops trying when the caller aborts', async () => {
    const { server, peer } = await startServer(() => new Promise<JoinGrant>(() => {}))
    const me = await joiner()
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('user cancelled')), 200)
    await expect(
      requestJoin(
        inviteFor(peer, server.addresses()),
        { privateKey: me.privateKey, name: 'n', signal: controller.signal },
        { logger },
      ),
    ).rejects.toThrow('user cancelled')
  })
})
