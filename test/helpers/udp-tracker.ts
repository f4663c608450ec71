import { randomBytes } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'

/**
 * A minimal BEP 15 (UDP tracker) client, for tests and bench/tracker: connect, announce, scrape,
 * with the replies matched by transaction id.
 */
export interface UdpAnnounce {
  infoHash: Buffer
  peerId: Buffer
  port: number
  /** 0 none, 1 completed, 2 started, 3 stopped */
  event?: number
  left?: bigint
}

export type UdpReply =
  | { action: 'announce'; interval: number; leechers: number; seeders: number; peers: string[] }
  | { action: 'scrape'; files: { seeders: number; completed: number; leechers: number }[] }
  | { action: 'error'; message: string }

const PROTOCOL_ID = 0x41727101980n

export class UdpTrackerClient {
  readonly #socket: Socket
  readonly #pending = new Map<number, (msg: Buffer) => void>()
  #connectionId: Buffer | undefined

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    this.#socket = createSocket('udp4')
    this.#socket.on('message', (msg: Buffer) => {
      if (msg.length < 8) return
      const id = msg.readUInt32BE(4)
      const resolve = this.#pending.get(id)
      if (resolve) {
        this.#pending.delete(id)
        resolve(msg)
      }
    })
  }

  async #request(build: (tid: number) => Buffer, timeoutMs: number): Promise<Buffer> {
    const tid = randomBytes(4).readUInt32BE(0)
    const packet = build(tid)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(tid)
        reject(new Error(`no answer from udp://${this.host}:${this.port} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(tid, (msg) => {
        clearTimeout(timer)
        resolve(msg)
      })
      this.#socket.send(packet, this.port, this.host)
    })
  }

  async connect(timeoutMs = 5000): Promise<UdpReply | undefined> {
    const msg = await this.#request((tid) => {
      const b = Buffer.alloc(16)
      b.writeBigUInt64BE(PROTOCOL_ID, 0)
      b.writeUInt32BE(0, 8)
      b.writeUInt32BE(tid, 12)
      return b
    }, timeoutMs)
    if (msg.readUInt32BE(0) === 3) return { action: 'error', message: msg.subarray(8).toString() }
    this.#connectionId = msg.subarray(8, 16)
    return undefined
  }

  /** Announces; connects first if needed. */
  async announce(a: UdpAnnounce, timeoutMs = 5000): Promise<UdpReply> {
    if (!this.#connectionId) {
      const refused = await this.connect(timeoutMs)
      if (refused) return refused
    }
    const connectionId = this.#connectionId as Buffer
    const msg = await this.#request((tid) => {
      const b = Buffer.alloc(98)
      connectionId.copy(b, 0)
      b.writeUInt32BE(1, 8)
      b.writeUInt32BE(tid, 12)
      a.infoHash.copy(b, 16)
      a.peerId.copy(b, 36)
      b.writeBigUInt64BE(0n, 56) // downloaded
      b.writeBigUInt64BE(a.left ?? 1000n, 64)
      b.writeBigUInt64BE(0n, 72) // uploaded
      b.writeUInt32BE(a.event ?? 0, 80)
      b.writeUInt32BE(0, 84) // ip: the sender's
      b.writeUInt32BE(randomBytes(4).readUInt32BE(0), 88) // key
      b.writeInt32BE(50, 92) // num_want
      b.writeUInt16BE(a.port, 96)
      return b
    }, timeoutMs)
    return parseReply(msg)
  }

  async scrape(infoHashes: Buffer[], timeoutMs = 5000): Promise<UdpReply> {
    if (!this.#connectionId) {
      const refused = await this.connect(timeoutMs)
      if (refused) return refused
    }
    const connectionId = this.#connectionId as Buffer
    const msg = await this.#request((tid) => {
      const b = Buffer.alloc(16 + 20 * infoHashes.length)
      connectionId.copy(b, 0)
      b.writeUInt32BE(2, 8)
      b.writeUInt32BE(tid, 12)
      for (const [i, h] of infoHashes.entries()) h.copy(b, 16 + 20 * i)
      return b
    }, timeoutMs)
    return parseReply(msg)
  }

  /** Sends an announce without waiting (for load generation); the reply comes to `onReply`. */
  sendRaw(packet: Buffer): void {
    this.#socket.send(packet, this.port, this.host)
  }

  close(): void {
    this.#socket.close()
    for (const resolve of this.#pending.values()) resolve(Buffer.alloc(8))
    this.#pending.clear()
  }
}

function parseReply(msg: Buffer): UdpReply {
  const action = msg.readUInt32BE(0)
  if (action === 3) return { action: 'error', message: msg.subarray(8).toString() }
  if (action === 1) {
    const peers: string[] = []
    for (let o = 20; o + 6 <= msg.length; o += 6) {
      peers.push(`${msg[o]}.${msg[o + 1]}.${msg[o + 2]}.${msg[o + 3]}:${msg.readUInt16BE(o + 4)}`)
    }
    return {
      action: 'announce',
      interval: msg.readUInt32BE(8),
      leechers: msg.readUInt32BE(12),
      seeders: msg.readUInt32BE(16),
      peers,
    }
  }
  const files: { seeders: number; completed: number; leechers: number }[] = []
  for (let o = 8; o + 12 <= msg.length; o += 12) {
    files.push({
      seeders: msg.readUInt32BE(o),
      completed: msg.readUInt32BE(o + 4),
      leechers: msg.readUInt32BE(o + 8),
    })
  }
  return { action: 'scrape', files }
}
