import { createSocket, type Socket } from 'node:dgram'
import multicastDns from 'multicast-dns'
import { TypedEmitter } from '../util/typed-emitter.ts'
import type { MdnsAnswer, MdnsPacket, MdnsQuery } from './lan-discovery-records.ts'

export const MDNS_GROUP = '224.0.0.251'
export const MDNS_PORT = 5353

export interface LanMdnsSocketEvents extends Record<string, unknown> {
  /** bound and member of the group: sending works from now on */
  'socket:ready': Record<string, never>
  /** a decoded query or response, with the sender's IP */
  'packet:received': { kind: 'query' | 'response'; packet: MdnsPacket; from: string }
  /** a socket error (bind, group membership, receive): `fatal` when the socket could not bind */
  'socket:failed': { err: Error; fatal: boolean }
  /** a datagram that is not DNS (anyone on the LAN can send one) */
  'packet:dropped': { err: Error }
}

/** An mDNS endpoint on one interface: the only way LAN discovery touches the network. */
export interface LanMdnsSocket {
  readonly events: TypedEmitter<LanMdnsSocketEvents>
  /**
   * Sends a packet to 224.0.0.251:5353 out of the interface. Rejects without sending before the
   * socket is ready, after close, or when the interface cannot be set as the multicast output.
   */
  send(packet: MdnsQuery | MdnsAnswer): Promise<void>
  close(): Promise<void>
}

export interface LanMdnsSocketInit {
  /** the IPv4 address of the discovery interface */
  interfaceAddress: string
}

export interface LanMdnsSocketComponents {
  /** the UDP socket to use; default a udp4 socket with SO_REUSEADDR (tests pass a fake) */
  createSocket?: () => Socket
}

/**
 * multicast-dns 7 on one interface: the socket binds 0.0.0.0:5353 (binding the unicast address would
 * hear no multicast), joins the group on the interface only and sends out of it. multicast-dns sets
 * the multicast output interface only after it joined the group, so every send sets it again first
 * and is dropped if that fails: a packet never leaves where the routing table would send it.
 */
export function openLanMdnsSocket(
  init: LanMdnsSocketInit,
  components: LanMdnsSocketComponents = {},
): LanMdnsSocket {
  const events = new TypedEmitter<LanMdnsSocketEvents>()
  const socket = components.createSocket
    ? components.createSocket()
    : createSocket({ type: 'udp4', reuseAddr: true })
  const mdns = multicastDns({
    socket,
    interface: init.interfaceAddress,
    bind: '0.0.0.0',
    ip: MDNS_GROUP,
    port: MDNS_PORT,
    reuseAddr: true,
    loopback: true,
  })
  let ready = false
  let closed: Promise<void> | undefined

  mdns.on('ready', () => {
    ready = true
    events.emit('socket:ready', {})
  })
  mdns.on('query', (packet, rinfo) =>
    events.emit('packet:received', { kind: 'query', packet, from: rinfo.address }),
  )
  mdns.on('response', (packet, rinfo) =>
    events.emit('packet:received', { kind: 'response', packet, from: rinfo.address }),
  )
  // multicast-dns emits 'error' for EACCES/EADDRINUSE (the socket did not bind) and 'warning' for any
  // other socket error and for undecodable datagrams; with no 'error' listener the node would crash
  mdns.on('error', (err: Error) => events.emit('socket:failed', { err, fatal: true }))
  mdns.on('warning', (err: Error & { code?: unknown }) => {
    if (err.code === undefined) events.emit('packet:dropped', { err })
    else events.emit('socket:failed', { err, fatal: false })
  })

  return {
    events,

    send(packet) {
      if (closed) return Promise.reject(new Error('the mDNS socket is closed'))
      if (!ready) return Promise.reject(new Error('the mDNS socket is not bound yet'))
      try {
        socket.setMulticastInterface(init.interfaceAddress)
      } catch (err) {
        return Promise.reject(
          new Error(`cannot send mDNS out of ${init.interfaceAddress}: ${(err as Error).message}`, {
            cause: err,
          }),
        )
      }
      return new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve())
        if (packet.type === 'query') mdns.query(packet as MdnsQuery, done)
        else mdns.respond(packet as MdnsAnswer, done)
      })
    },

    close() {
      closed ??= new Promise<void>((resolve) => {
        try {
          mdns.destroy(() => resolve())
        } catch {
          resolve() // a socket that never bound has nothing to close
        }
      })
      return closed
    },
  }
}
