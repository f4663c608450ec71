import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'

/**
 * A UDP tracker load generator (BEP 15): one connect, then announces for `peers` peers spread over
 * `torrents` torrents, either as fast as the tracker answers with `window` requests in flight, or
 * at a fixed offered `rate`. Latency is from send to reply, matched by transaction id.
 */
export interface LoadInit {
  host: string
  port: number
  torrents: number
  peers: number
  durationMs: number
  /** closed loop: requests in flight */
  window?: number
  /** open loop: announces per second */
  rate?: number
}

export interface LoadResult {
  sent: number
  answered: number
  errors: number
  lost: number
  durationMs: number
  perSecond: number
  latenciesMs: number[]
}

const PROTOCOL_ID = 0x41727101980n

interface FakePeer {
  id: Buffer
  hash: Buffer
  port: number
  seeder: boolean
}

const populations = new Map<string, FakePeer[]>()

/** The same peers for every run with the same sizes, so the swarms stay as big as asked. */
function population(torrents: number, count: number): FakePeer[] {
  const key = `${torrents}/${count}`
  let peers = populations.get(key)
  if (peers === undefined) {
    const hashes = Array.from({ length: torrents }, () => randomBytes(20))
    peers = Array.from({ length: count }, (_, i) => ({
      id: randomBytes(20),
      hash: hashes[i % torrents] as Buffer,
      port: 1024 + (i % 60000),
      seeder: i % 3 === 0,
    }))
    populations.set(key, peers)
  }
  return peers
}

export async function runLoad(init: LoadInit): Promise<LoadResult> {
  const socket = createSocket('udp4')
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r))
  socket.setRecvBufferSize(8 * 1024 * 1024)
  socket.setSendBufferSize(8 * 1024 * 1024)
  const peers = population(init.torrents, init.peers)

  // connect
  const connectionId = await new Promise<Buffer>((resolve, reject) => {
    const b = Buffer.alloc(16)
    b.writeBigUInt64BE(PROTOCOL_ID, 0)
    b.writeUInt32BE(0, 8)
    b.writeUInt32BE(7, 12)
    const timer = setTimeout(() => reject(new Error('no connect answer')), 5000)
    socket.once('message', (msg: Buffer) => {
      clearTimeout(timer)
      resolve(Buffer.from(msg.subarray(8, 16)))
    })
    socket.send(b, init.port, init.host)
  })

  const sentAt = new Float64Array(1 << 20)
  const latencies: number[] = []
  let tid = 0
  let sent = 0
  let answered = 0
  let errors = 0
  let inFlight = 0
  const packet = (t: number, p: FakePeer) => {
    const b = Buffer.alloc(98)
    connectionId.copy(b, 0)
    b.writeUInt32BE(1, 8)
    b.writeUInt32BE(t, 12)
    p.hash.copy(b, 16)
    p.id.copy(b, 36)
    b.writeBigUInt64BE(p.seeder ? 0n : 1_000_000n, 64)
    b.writeUInt32BE(0, 80)
    b.writeInt32BE(50, 92)
    b.writeUInt16BE(p.port, 96)
    return b
  }
  const sendOne = () => {
    const t = tid++ & 0xfffff
    sentAt[t] = performance.now()
    socket.send(packet(t, peers[sent % peers.length] as FakePeer), init.port, init.host)
    sent++
    inFlight++
  }

  const start = performance.now()
  const end = start + init.durationMs
  let done: () => void = () => {}
  const finished = new Promise<void>((r) => {
    done = r
  })
  socket.on('message', (msg: Buffer) => {
    const now = performance.now()
    const t = msg.readUInt32BE(4)
    if (msg.readUInt32BE(0) === 3) errors++
    else answered++
    inFlight--
    latencies.push(now - (sentAt[t & 0xfffff] as number))
    if (init.window !== undefined && now < end) sendOne()
  })

  if (init.window !== undefined) {
    for (let i = 0; i < init.window; i++) sendOne()
    await new Promise((r) => setTimeout(r, init.durationMs))
  } else {
    const rate = init.rate ?? 1000
    // send in 1 ms ticks, catching up to the schedule
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now()
        if (now >= end) return resolve()
        const due = Math.floor(((now - start) / 1000) * rate)
        while (sent < due) sendOne()
        setTimeout(tick, 1)
      }
      tick()
    })
  }
  const elapsed = performance.now() - start
  // let the last answers arrive
  const grace = setTimeout(done, 1000)
  if (inFlight === 0) done()
  await finished
  clearTimeout(grace)
  socket.close()
  return {
    sent,
    answered,
    errors,
    lost: sent - answered - errors,
    durationMs: elapsed,
    perSecond: answered / (elapsed / 1000),
    latenciesMs: latencies,
  }
}
