import '../../../src/util/polyfill.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { noise } from '@libp2p/noise'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { generateCloudKey } from '../../../src/net/cloud-key.ts'
import { MAX_FRAME_BYTES } from '../../../src/net/json-frame.ts'
import { withKeyCheck } from '../../../src/net/key-check.ts'
import type { Message, Overlay } from '../../../src/net/types.ts'
import { CloudyError } from '../../../src/util/errors.ts'
import { nextEvent, overlayFixture } from './net-fixture.ts'

const ECHO = '/cloudy/test-echo/1.0.0'
const fixture = overlayFixture()
afterEach(() => fixture.stopAll())

async function pair(key = generateCloudKey()): Promise<[Overlay, Overlay]> {
  const a = await fixture.start(key)
  const b = await fixture.start(key)
  await a.addPeerAddresses(b.peerId, b.addresses())
  return [a, b]
}

describe('overlay', { timeout: 10_000 }, () => {
  it('listens on the given host and reports addresses ending with its peer id', async () => {
    const a = await fixture.start(generateCloudKey())
    expect(a.addresses().length).toBeGreaterThan(0)
    for (const addr of a.addresses())
      expect(addr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${a.peerId}$`))
  })

  it('exchanges a request and a response between two members of the same cloud', async () => {
    const [a, b] = await pair()
    const seen: { msg: Message; from: string }[] = []
    await b.handle(ECHO, (msg, from) => {
      seen.push({ msg, from })
      return { echoed: msg.text, by: b.peerId }
    })
    const connected = nextEvent(a.events, 'peer:connected', (e) => e.peer === b.peerId)
    const answer = await a.request(b.peerId, ECHO, { text: 'hello' })
    expect(answer).toEqual({ echoed: 'hello', by: b.peerId })
    expect(seen).toEqual([{ msg: { text: 'hello' }, from: a.peerId }])
    expect(await connected).toEqual({ peer: b.peerId, relayed: false })
    expect(a.isConnected(b.peerId)).toBe(true)
    expect(a.isRelayed(b.peerId)).toBe(false)
    expect(a.connectedPeers()).toEqual([b.peerId])
    expect(await a.ping(b.peerId)).toBeGreaterThanOrEqual(0)
  })

  it('answers {} when the handler returns nothing', async () => {
    const [a, b] = await pair()
    await b.handle(ECHO, () => undefined)
    expect(await a.request(b.peerId, ECHO, {})).toEqual({})
  })

  it('delivers one-way messages with send()', async () => {
    const [a, b] = await pair()
    const received = new Promise<Message>((resolve) => {
      void b.handle(ECHO, (msg) => {
        resolve(msg)
        return { ignored: true }
      })
    })
    await a.send(b.peerId, ECHO, { n: 1 })
    expect(await received).toEqual({ n: 1 })
  })

  it('refuses a node holding another cloud key and reports it on the listener', async () => {
    const a = await fixture.start(generateCloudKey())
    const stranger = await fixture.start(generateCloudKey())
    await stranger.addPeerAddresses(a.peerId, a.addresses())
    const refused = nextEvent(a.events, 'peer:refused')
    const attempt = stranger.connect(a.peerId)
    await expect(attempt).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    await expect(attempt).rejects.toThrow(`${a.peerId} holds another cloud key`)
    const event = await refused
    expect(event.remoteAddr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    expect(event.reason).toMatch(/^CloudKeyMismatchError: /)
    expect(a.connectedPeers()).toEqual([])
    expect(stranger.isConnected(a.peerId)).toBe(false)
  })

  it("passes a handler's CloudyError code and message to the requester", async () => {
    const [a, b] = await pair()
    await b.handle(ECHO, () => {
      throw new CloudyError('NOT_FOUND', 'no such share')
    })
    const err = await a.request(b.peerId, ECHO, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CloudyError)
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'no such share', details: { remote: true } })
  })

  it('reports other handler errors as INTERNAL without their details', async () => {
    const [a, b] = await pair()
    await b.handle(ECHO, async () => {
      throw new Error('secret internal detail')
    })
    const err = (await a.request(b.peerId, ECHO, {}).catch((e: unknown) => e)) as CloudyError
    expect(err.code).toBe('INTERNAL')
    expect(err.message).toBe(`internal error while handling ${ECHO}`)
  })

  it('times out a request whose handler never answers', async () => {
    const [a, b] = await pair()
    await b.handle(ECHO, () => new Promise<Message>(() => {}))
    const started = Date.now()
    const err = (await a
      .request(b.peerId, ECHO, {}, { timeoutMs: 300 })
      .catch((e: unknown) => e)) as CloudyError
    expect(err.code).toBe('UNAVAILABLE')
    expect(err.details).toMatchObject({ reason: 'timeout' })
    expect(err.message).toMatch(/within 300 ms/)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it("rejects with the caller's abort reason when the caller aborts", async () => {
    const [a, b] = await pair()
    await b.handle(ECHO, () => new Promise<Message>(() => {}))
    const controller = new AbortController()
    const pending = a.request(b.peerId, ECHO, {}, { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('caller gave up')), 100)
    await expect(pending).rejects.toThrow('caller gave up')
  })

  it('refuses to send a message larger than the frame limit', async () => {
    const [a, b] = await pair()
    await b.handle(ECHO, () => ({}))
    const big = { blob: 'x'.repeat(MAX_FRAME_BYTES) }
    await expect(a.request(b.peerId, ECHO, big)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    // the overlay still works afterwards
    expect(await a.request(b.peerId, ECHO, {})).toEqual({})
  })

  it('reports a response larger than the frame limit to the requester', async () => {
    const [a, b] = await pair()
    await b.handle(ECHO, () => ({ blob: 'x'.repeat(MAX_FRAME_BYTES) }))
    await expect(a.request(b.peerId, ECHO, {})).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { remote: true },
    })
  })

  it('refuses an oversized request frame from a raw client without reading it', async () => {
    const key = generateCloudKey()
    const b = await fixture.start(key)
    let called = false
    await b.handle(ECHO, () => {
      called = true
      return {}
    })
    const raw = fixture.track(
      await createLibp2p({
        privateKey: await generateKeyPair('Ed25519'),
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionProtector: () => withKeyCheck(preSharedKey({ psk: key })()),
        connectionMonitor: { enabled: false },
      }),
    )
    const stream = await raw.dialProtocol(multiaddr(b.addresses()[0]), ECHO)
    const lp = lpStream(stream)
    await lp.write(new Uint8Array(MAX_FRAME_BYTES + 1).fill(0x20))
    const answer = JSON.parse(new TextDecoder().decode((await lp.read()).subarray()))
    expect(answer).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/limit/) } })
    expect(called).toBe(false)
  })

  it('fails clearly when the peer does not serve the protocol', async () => {
    const [a, b] = await pair()
    await expect(a.request(b.peerId, '/cloudy/nobody/1.0.0', {})).rejects.toThrow(/does not serve/)
  })

  it('fails fast for a peer with no known address', async () => {
    const a = await fixture.start(generateCloudKey())
    const other = await fixture.start(generateCloudKey())
    await expect(a.request(other.peerId, ECHO, {})).rejects.toMatchObject({ code: 'UNAVAILABLE' })
  })

  it('rejects malformed peer ids and addresses with INVALID_INPUT', async () => {
    const [a, b] = await pair()
    await expect(a.request('not-a-peer', ECHO, {})).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(a.addPeerAddresses(b.peerId, ['/nonsense'])).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(a.addPeerAddresses(b.peerId, a.addresses())).rejects.toThrow(/belongs to/)
  })

  it('refuses a second handler for the same protocol', async () => {
    const a = await fixture.start(generateCloudKey())
    await a.handle(ECHO, () => ({}))
    await expect(a.handle(ECHO, () => ({}))).rejects.toMatchObject({ code: 'CONFLICT' })
  })

  it('emits peer:disconnected on disconnect() and when the peer stops', async () => {
    const key = generateCloudKey()
    const [a, b] = await pair(key)
    await a.connect(b.peerId)
    const dropped = nextEvent(a.events, 'peer:disconnected', (e) => e.peer === b.peerId)
    await a.disconnect(b.peerId)
    await dropped
    expect(a.isConnected(b.peerId)).toBe(false)

    const c = await fixture.start(key)
    await a.addPeerAddresses(c.peerId, c.addresses())
    await a.connect(c.peerId)
    const died = nextEvent(a.events, 'peer:disconnected', (e) => e.peer === c.peerId)
    await c.stop()
    await died
    await expect(a.request(c.peerId, ECHO, {}, { timeoutMs: 3000 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    })
  })

  it('dials bootstrap peers at start and starts even when one is down', async () => {
    const key = generateCloudKey()
    const a = await fixture.start(key)
    const deadPeer = (await fixture.start(key)).peerId
    const dead = `/ip4/127.0.0.1/tcp/1/p2p/${deadPeer}`
    const connected = nextEvent(a.events, 'peer:connected')
    const b = await fixture.start(key, { bootstrap: [dead, ...a.addresses()] })
    expect((await connected).peer).toBe(b.peerId)
    expect(b.isConnected(a.peerId)).toBe(true)
  })

  it('makes a peer reachable through a relay after a reservation', async () => {
    const key = generateCloudKey()
    const relay = await fixture.start(key, { relayServer: true })
    const hidden = await fixture.start(key)
    const circuit = await hidden.reserveRelay(relay.addresses()[0] as string)
    expect(circuit.length).toBeGreaterThan(0)
    for (const addr of circuit)
      expect(addr).toContain(`/p2p/${relay.peerId}/p2p-circuit/p2p/${hidden.peerId}`)
    expect(hidden.addresses()).toEqual(expect.arrayContaining(circuit))
    await hidden.handle(ECHO, (_msg, from) => ({ from }))

    const other = await fixture.start(key)
    await other.addPeerAddresses(hidden.peerId, circuit)
    const connected = nextEvent(other.events, 'peer:connected', (e) => e.peer === hidden.peerId)
    expect(await other.request(hidden.peerId, ECHO, {})).toEqual({ from: other.peerId })
    expect(await connected).toEqual({ peer: hidden.peerId, relayed: true })
    expect(other.isRelayed(hidden.peerId)).toBe(true)
  })

  it('refuses a relay address that does not name the relay', async () => {
    const a = await fixture.start(generateCloudKey())
    await expect(a.reserveRelay('/ip4/127.0.0.1/tcp/4001')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('says clearly when the port is taken', async () => {
    const a = await fixture.start(generateCloudKey())
    const port = Number(/\/tcp\/(\d+)\//.exec(a.addresses()[0] as string)?.[1])
    await expect(fixture.start(generateCloudKey(), { port })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: `cannot listen on 127.0.0.1 port ${port}: the port is already in use`,
    })
  })

  it('refuses a malformed cloud key at start', async () => {
    await expect(fixture.start(new TextEncoder().encode('not a key'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })
})
