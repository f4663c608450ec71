import { createHmac, randomBytes } from 'node:crypto'
import type { RemoteInfo } from 'node:dgram'
import type { AnnounceEvent, SwarmStore } from './swarm-store.ts'

/**
 * BEP 15 (UDP tracker protocol) over the swarm store. A connection id is a keyed hash of the
 * client's address and the current minute, so it needs no table and proves the client receives at
 * that address (no reflection of big answers to a forged source); it is accepted for two minutes.
 */
export interface UdpAdapterInit {
  intervalS: number
  /** how many info hashes one scrape may ask for (BEP 15 allows about 74) */
  maxScrape?: number
}

export interface UdpAdapterComponents {
  store: SwarmStore
  clock: () => number
}

export interface UdpCounters {
  announces: number
  scrapes: number
}

const PROTOCOL_ID = 0x41727101980n
const CONNECT = 0
const ANNOUNCE = 1
const SCRAPE = 2
const ERROR = 3
const EVENTS: readonly AnnounceEvent[] = ['none', 'completed', 'started', 'stopped']

export function errorPacket(transactionId: number, message: string): Buffer {
  const text = Buffer.from(message)
  const b = Buffer.allocUnsafe(8 + text.length)
  b.writeUInt32BE(ERROR, 0)
  b.writeUInt32BE(transactionId, 4)
  text.copy(b, 8)
  return b
}

/** Answers one datagram; undefined for one that deserves no answer (too short, not BEP 15). */
export function createUdpHandler(
  init: UdpAdapterInit,
  components: UdpAdapterComponents,
): { handle(msg: Buffer, from: RemoteInfo): Buffer | undefined; counters: UdpCounters } {
  const secret = randomBytes(32)
  const maxScrape = init.maxScrape ?? 74
  const counters: UdpCounters = { announces: 0, scrapes: 0 }
  // clients keep their id for a minute: remember this minute's and the last one's
  let cacheMinute = -1
  let cache = new Map<string, Buffer>()
  let previous = new Map<string, Buffer>()
  const connectionId = (address: string, port: number, minute: number): Buffer => {
    if (minute !== cacheMinute) {
      previous = minute === cacheMinute + 1 ? cache : new Map()
      cache = new Map()
      cacheMinute = minute
    }
    const key = `${address}|${port}`
    const table = minute === cacheMinute ? cache : minute === cacheMinute - 1 ? previous : undefined
    const known = table?.get(key)
    if (known) return known
    const id = createHmac('sha256', secret).update(`${key}|${minute}`).digest().subarray(0, 8)
    if (table && table.size < 1_000_000) table.set(key, id)
    return id
  }
  const valid = (msg: Buffer, from: RemoteInfo, minute: number) => {
    const given = msg.subarray(0, 8)
    return (
      given.equals(connectionId(from.address, from.port, minute)) ||
      given.equals(connectionId(from.address, from.port, minute - 1))
    )
  }

  return {
    counters,
    handle(msg, from) {
      if (msg.length < 16) return undefined
      const action = msg.readUInt32BE(8)
      const tid = msg.readUInt32BE(12)
      const now = components.clock()
      const minute = Math.floor(now / 60_000)
      if (action === CONNECT) {
        if (msg.readBigUInt64BE(0) !== PROTOCOL_ID) return undefined
        const b = Buffer.allocUnsafe(16)
        b.writeUInt32BE(CONNECT, 0)
        b.writeUInt32BE(tid, 4)
        connectionId(from.address, from.port, minute).copy(b, 8)
        return b
      }
      if (action !== ANNOUNCE && action !== SCRAPE) return errorPacket(tid, 'unknown action')
      if (!valid(msg, from, minute)) return errorPacket(tid, 'connection id expired: connect again')

      if (action === ANNOUNCE) {
        if (msg.length < 98) return errorPacket(tid, 'announce too short')
        counters.announces++
        const answer = components.store.announce(
          {
            infoHash: msg.toString('latin1', 16, 36),
            peerId: msg.toString('latin1', 36, 56),
            ip: from.address,
            port: msg.readUInt16BE(96),
            left: Number(msg.readBigUInt64BE(64)),
            event: EVENTS[msg.readUInt32BE(80)] ?? 'none',
            numWant: msg.readInt32BE(92),
          },
          now,
        )
        const b = Buffer.allocUnsafe(20 + answer.peers.length)
        b.writeUInt32BE(ANNOUNCE, 0)
        b.writeUInt32BE(tid, 4)
        b.writeUInt32BE(init.intervalS, 8)
        b.writeUInt32BE(answer.leechers, 12)
        b.writeUInt32BE(answer.seeders, 16)
        answer.peers.copy(b, 20)
        return b
      }

      counters.scrapes++
      const count = Math.min(Math.floor((msg.length - 16) / 20), maxScrape)
      const b = Buffer.allocUnsafe(8 + 12 * count)
      b.writeUInt32BE(SCRAPE, 0)
      b.writeUInt32BE(tid, 4)
      for (let i = 0; i < count; i++) {
        const s = components.store.scrape(msg.toString('latin1', 16 + 20 * i, 36 + 20 * i))
        b.writeUInt32BE(s.seeders, 8 + 12 * i)
        b.writeUInt32BE(s.completed, 12 + 12 * i)
        b.writeUInt32BE(s.leechers, 16 + 12 * i)
      }
      return b
    },
  }
}
