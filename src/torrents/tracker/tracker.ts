import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { CloudyError } from '../../util/errors.ts'
import type { Logger } from '../../util/logger.ts'
import type { TrackerStatsView } from '../views.ts'
import { type AccessPolicy, normaliseAddress } from './access-policy.ts'
import { bencodeFailure, createHttpHandler } from './http-adapter.ts'
import { SwarmStore } from './swarm-store.ts'
import { createUdpHandler, errorPacket } from './udp-adapter.ts'

/**
 * A BitTorrent tracker: HTTP (BEP 3, 7, 23, 48) and UDP (BEP 15) announce and scrape on one port
 * number, two thin adapters over one swarm store, each behind a gate that refuses peers the
 * access policy does not let in (docs/torrents.md).
 */
export interface TrackerInit {
  /** the address to listen on (the node's host) */
  host: string
  /** 0 for any free port; HTTP and UDP share the number */
  port: number
  /** the host announce URLs name (the node's advertised host) */
  advertiseHost: string
  /** seconds between a peer's announces; a peer silent for 2.5 intervals is dropped */
  intervalS: number
}

export interface TrackerComponents {
  logger: Logger
  access: AccessPolicy
  clock?: () => number
}

export interface Tracker {
  readonly port: number
  readonly announce: string[]
  stats(): TrackerStatsView
  stop(): Promise<void>
}

const REFUSED = 'this tracker serves the members of its cloud only'

function hostInUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

export async function startTracker(init: TrackerInit, components: TrackerComponents): Promise<Tracker> {
  const { logger, access } = components
  const clock = components.clock ?? Date.now
  const store = new SwarmStore({ peerTtlMs: init.intervalS * 2500 })
  const udpHandler = createUdpHandler({ intervalS: init.intervalS }, { store, clock })
  const httpHandler = createHttpHandler({ intervalS: init.intervalS }, { store, clock })
  const counters = { httpAnnounces: 0, httpScrapes: 0, refused: 0 }

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const remote = normaliseAddress(req.socket.remoteAddress ?? '')
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const query = q < 0 ? '' : url.slice(q + 1)
    res.setHeader('content-type', 'text/plain')
    if (!access.allows(remote)) {
      counters.refused++
      res.statusCode = 403
      res.end(bencodeFailure(REFUSED))
      return
    }
    if (req.method !== 'GET') {
      res.statusCode = 405
      res.end(bencodeFailure('only GET'))
      return
    }
    if (path === '/announce') {
      counters.httpAnnounces++
      res.end(httpHandler.announce(query, remote))
    } else if (path === '/scrape') {
      counters.httpScrapes++
      res.end(httpHandler.scrape(query))
    } else {
      res.statusCode = 404
      res.end(bencodeFailure('this is a BitTorrent tracker: /announce and /scrape'))
    }
  })
  http.keepAliveTimeout = 5000
  http.on('clientError', (_err, socket) => socket.destroy())

  const udp: Socket = createSocket({ type: isIP(init.host) === 6 ? 'udp6' : 'udp4' })
  udp.on('message', (msg: Buffer, from: RemoteInfo) => {
    if (msg.length < 16) return
    if (!access.allows(normaliseAddress(from.address))) {
      counters.refused++
      udp.send(errorPacket(msg.readUInt32BE(12), REFUSED), from.port, from.address)
      return
    }
    const answer = udpHandler.handle(msg, from)
    if (answer) udp.send(answer, from.port, from.address)
  })
  udp.on('error', (err) => logger.warn({ err }, 'tracker UDP error'))

  const port = await listenBoth(http, udp, init.host, init.port)
  try {
    // room for bursts of announces (the kernel caps it at net.core.rmem_max)
    udp.setRecvBufferSize(4 * 1024 * 1024)
  } catch {}
  const pruner = setInterval(() => store.prune(clock()), Math.max(1000, (init.intervalS * 1000) / 2))
  pruner.unref()
  const host = hostInUrl(init.advertiseHost)
  const announce = [`udp://${host}:${port}`, `http://${host}:${port}/announce`]
  logger.info({ port, access: access.open ? 'open' : 'cloud' }, 'tracker listening')

  return {
    port,
    announce,
    stats() {
      const swarms = store.swarms()
      const sum = (f: (s: (typeof swarms)[number]) => number) => swarms.reduce((n, s) => n + f(s), 0)
      return {
        port,
        announce,
        access: access.open ? 'open' : 'cloud',
        torrents: swarms.length,
        seeders: sum((s) => s.seeders),
        leechers: sum((s) => s.leechers),
        completed: sum((s) => s.completed),
        announces: udpHandler.counters.announces + counters.httpAnnounces,
        scrapes: udpHandler.counters.scrapes + counters.httpScrapes,
        refused: counters.refused,
        swarms,
      }
    },
    async stop() {
      clearInterval(pruner)
      udp.close()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}

/** Binds HTTP, then UDP on the same port number (with port 0, the one HTTP got). */
async function listenBoth(http: Server, udp: Socket, host: string, port: number): Promise<number> {
  const fail = (proto: string, p: number) => (err: NodeJS.ErrnoException) => {
    throw new CloudyError(
      'UNAVAILABLE',
      `the tracker cannot listen on ${proto} ${host}:${p}: ${err.code ?? err.message}; choose another port with --option port=N`,
    )
  }
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => {
      http.off('error', reject)
      resolve()
    })
  }).catch(fail('TCP', port))
  const address = http.address()
  const actual = typeof address === 'object' && address !== null ? address.port : port
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject)
    udp.bind(actual, host, () => {
      udp.off('error', reject)
      resolve()
    })
  }).catch(async (err: NodeJS.ErrnoException) => {
    await new Promise((r) => http.close(r))
    udp.close()
    fail('UDP', actual)(err)
  })
  return actual
}
