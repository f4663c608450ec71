import type { Socket } from 'node:dgram'
import { EventEmitter } from 'node:events'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import {
  decodeAnnouncements,
  discoveryQuery,
  encodeAnnouncement,
  lanServiceName,
  type MdnsAnswer,
} from '../../../src/net/lan-discovery-records.ts'
import {
  type LanMdnsSocket,
  type LanMdnsSocketEvents,
  MDNS_GROUP,
  MDNS_PORT,
  openLanMdnsSocket,
} from '../../../src/net/lan-mdns-socket.ts'

const SERVICE = lanServiceName('0123abcd4567ef89')
const LAN_ADDRESS = '10.1.2.3'

/** The parts of a dgram socket that multicast-dns uses, recording everything; no network. */
class FakeUdpSocket extends EventEmitter {
  bound: { port: number; address: string } | undefined
  memberships: { group: string; iface: string }[] = []
  multicastInterface: string | undefined
  sent: { bytes: Buffer; port: number; address: string; via: string | undefined }[] = []
  failInterface = false
  closed = false

  bind(port: number, address: string, cb?: () => void) {
    this.bound = { port, address }
    setImmediate(() => {
      this.emit('listening')
      cb?.()
    })
  }
  send(
    buf: Buffer,
    offset: number,
    length: number,
    port: number,
    address: string,
    cb?: (err: Error | null) => void,
  ) {
    this.sent.push({
      bytes: Buffer.from(buf.subarray(offset, offset + length)),
      port,
      address,
      via: this.multicastInterface,
    })
    cb?.(null)
  }
  setMulticastInterface(address: string) {
    if (this.failInterface) {
      throw Object.assign(new Error('setMulticastInterface EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' })
    }
    this.multicastInterface = address
  }
  addMembership(group: string, iface: string) {
    this.memberships.push({ group, iface })
  }
  dropMembership() {}
  setMulticastTTL() {}
  setMulticastLoopback() {}
  address() {
    return { address: '0.0.0.0', port: MDNS_PORT, family: 'IPv4' }
  }
  close(cb?: () => void) {
    this.closed = true
    setImmediate(() => cb?.())
  }
  /** a datagram arriving from `from` */
  deliver(bytes: Buffer, from: string) {
    this.emit('message', bytes, { address: from, port: MDNS_PORT, family: 'IPv4', size: bytes.length })
  }
}

const open: LanMdnsSocket[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

function openFake(fake = new FakeUdpSocket()) {
  const socket = openLanMdnsSocket(
    { interfaceAddress: LAN_ADDRESS },
    { createSocket: () => fake as unknown as Socket },
  )
  open.push(socket)
  return { fake, socket }
}

const next = <K extends keyof LanMdnsSocketEvents & string>(socket: LanMdnsSocket, event: K) =>
  new Promise<LanMdnsSocketEvents[K]>((resolve) => socket.events.once(event, resolve))

describe('mDNS socket on one interface', () => {
  it('binds 0.0.0.0:5353 and joins the group on the interface only', async () => {
    const { fake, socket } = openFake()
    await next(socket, 'socket:ready')
    expect(fake.bound).toEqual({ port: MDNS_PORT, address: '0.0.0.0' })
    expect(fake.memberships).toEqual([{ group: MDNS_GROUP, iface: LAN_ADDRESS }])
  })

  it('sends every packet to the group out of the interface', async () => {
    const { fake, socket } = openFake()
    await next(socket, 'socket:ready')
    fake.multicastInterface = undefined // as if multicast-dns had not set it (its group join failed)
    await socket.send(discoveryQuery(SERVICE))
    expect(fake.sent).toEqual([
      { bytes: expect.any(Buffer), port: MDNS_PORT, address: MDNS_GROUP, via: LAN_ADDRESS },
    ])
  })

  it('sends nothing when the interface cannot be set as the multicast output', async () => {
    const { fake, socket } = openFake()
    await next(socket, 'socket:ready')
    fake.failInterface = true
    await expect(socket.send(discoveryQuery(SERVICE))).rejects.toThrow(
      `cannot send mDNS out of ${LAN_ADDRESS}: setMulticastInterface EADDRNOTAVAIL`,
    )
    expect(fake.sent).toEqual([])
  })

  it('sends nothing before it is bound or after it is closed', async () => {
    const { fake, socket } = openFake()
    await expect(socket.send(discoveryQuery(SERVICE))).rejects.toThrow(/not bound/)
    await next(socket, 'socket:ready')
    await socket.close()
    await expect(socket.send(discoveryQuery(SERVICE))).rejects.toThrow(/closed/)
    expect(fake.sent).toEqual([])
    expect(fake.closed).toBe(true)
  })

  it('carries an announcement from one node to another byte for byte', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const addr = `/ip4/10.1.2.7/tcp/7001/p2p/${peer}`
    const sender = openFake()
    const receiver = openFake()
    await Promise.all([next(sender.socket, 'socket:ready'), next(receiver.socket, 'socket:ready')])
    await sender.socket.send(encodeAnnouncement(SERVICE, peer, [addr]) as MdnsAnswer)
    const received = next(receiver.socket, 'packet:received')
    receiver.fake.deliver(sender.fake.sent[0]?.bytes as Buffer, '10.1.2.7')
    const { kind, packet, from } = await received
    expect({ kind, from }).toEqual({ kind: 'response', from: '10.1.2.7' })
    expect(decodeAnnouncements(packet, SERVICE).map((p) => [p.peer, p.addrs.map(String)])).toEqual([
      [peer, [addr]],
    ])
  })

  it('reports socket errors and undecodable datagrams as events, never as exceptions', async () => {
    const { fake, socket } = openFake()
    await next(socket, 'socket:ready')
    const dropped = next(socket, 'packet:dropped')
    fake.deliver(Buffer.from('not dns'), '10.1.2.7')
    expect((await dropped).err).toBeInstanceOf(Error)
    const failures: LanMdnsSocketEvents['socket:failed'][] = []
    socket.events.on('socket:failed', (f) => failures.push(f))
    fake.emit('error', Object.assign(new Error('bind EACCES'), { code: 'EACCES' }))
    fake.emit('error', Object.assign(new Error('recvmsg ENOBUFS'), { code: 'ENOBUFS' }))
    expect(failures.map((f) => [f.err.message, f.fatal])).toEqual([
      ['bind EACCES', true],
      ['recvmsg ENOBUFS', false],
    ])
  })
})
