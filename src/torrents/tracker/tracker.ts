import type { RemoteInfo } from 'node:dgram'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { Server } from 'bittorrent-tracker'
import { CloudyError } from '../../util/errors.ts'
import type { Logger } from '../../util/logger.ts'
import type { TrackerStatsView } from '../views.ts'
import type { AccessPolicy } from './access-policy.ts'

/**
 * A BitTorrent tracker: HTTP (BEP 3, 23, 48 scrape) and UDP (BEP 15) announce and scrape on one port
 * number, by bittorrent-tracker's one request handler behind two thin gates that refuse peers the
 * access policy does not let in (docs/torrents.md).
 */
export interface TrackerInit {
  /** the address to listen on (the node's host) */
  host: string
  /** 0 for any free port; HTTP and UDP share the number */
  port: number
  /** the host announce URLs name (the node's advertised host) */
  advertiseHost: string
  /** seconds between a peer's announces */
  intervalS: number
}

export interface TrackerComponents {
  logger: Logger
  access: AccessPolicy
}

export interface Tracker {
  readonly port: number
  readonly announce: string[]
  stats(): TrackerStatsView
  stop(): Promise<void>
}

const UDP_ACTION_ANNOUNCE = 1
const UDP_ACTION_SCRAPE = 2
const UDP_ACTION_ERROR = 3

function udpError(msg: Buffer, text: string): Buffer {
  const reason = Buffer.from(text)
  const packet = Buffer.alloc(8 + reason.length)
  packet.writeUInt32BE(UDP_ACTION_ERROR, 0)
  msg.copy(packet, 4, 12, 16) // the transaction id
  reason.copy(packet, 8)
  return packet
}

const REFUSED = 'this tracker serves the members of its cloud only'

function hostInUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

export async function startTracker(init: TrackerInit, components: TrackerComponents): Promise<Tracker> {
  const { logger, access } = components
  const counters = { announces: 0, scrapes: 0, refused: 0 }
  /** per torrent, the peers that announced they completed it (each once, whichever URL they used) */
  const completed = new Map<string, Set<string>>()
  const v6 = isIP(init.host) === 6
  const server = new Server({
    http: true,
    udp: true,
    ws: false,
    stats: false,
    interval: init.intervalS * 1000,
  })
  server.on('warning', (err: Error) => logger.debug({ reason: err.message }, 'tracker request refused'))
  server.on('error', (err: Error) => logger.warn({ err }, 'tracker error'))
  server.on('complete', (_addr: string, params: { info_hash: string; peer_id: string }) => {
    let peers = completed.get(params.info_hash)
    if (peers === undefined) {
      peers = new Set()
      completed.set(params.info_hash, peers)
    }
    peers.add(params.peer_id)
  })

  const http = server.http
  if (http === null) throw new CloudyError('INTERNAL', 'the tracker has no HTTP server')
  // before bittorrent-tracker's own handler, which it adds on the next tick
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!access.allows(req.socket.remoteAddress ?? '')) {
      counters.refused++
      res.statusCode = 403
      res.end(`d14:failure reason${REFUSED.length}:${REFUSED}e`)
      return
    }
    if (req.url?.startsWith('/announce')) counters.announces++
    else if (req.url?.startsWith('/scrape')) counters.scrapes++
  })

  // one UDP socket on the family of the host; the other is never bound
  const udp = v6 ? server.udp6 : server.udp4
  const unused = v6 ? server.udp4 : server.udp6
  if (udp === null) throw new CloudyError('INTERNAL', 'the tracker has no UDP socket')
  unused?.close()
  udp.removeAllListeners('message')
  udp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    if (msg.length < 16) return
    if (!access.allows(rinfo.address)) {
      counters.refused++
      udp.send(udpError(msg, REFUSED), rinfo.port, rinfo.address)
      return
    }
    const action = msg.readUInt32BE(8)
    if (action === UDP_ACTION_ANNOUNCE) counters.announces++
    else if (action === UDP_ACTION_SCRAPE) counters.scrapes++
    server.onUdpRequest(msg, rinfo)
  })

  const port = await listenBoth(http, udp, init.host, init.port)
  const host = hostInUrl(init.advertiseHost)
  const announce = [`udp://${host}:${port}`, `http://${host}:${port}/announce`]
  logger.info({ port, access: access.open ? 'open' : 'cloud' }, 'tracker listening')

  return {
    port,
    announce,
    stats() {
      const swarms = Object.entries(server.torrents).map(([infoHash, swarm]) => ({
        infoHash,
        seeders: swarm.complete,
        leechers: swarm.incomplete,
        completed: completed.get(infoHash)?.size ?? 0,
      }))
      const sum = (f: (s: (typeof swarms)[number]) => number) => swarms.reduce((n, s) => n + f(s), 0)
      return {
        port,
        announce,
        access: access.open ? 'open' : 'cloud',
        torrents: swarms.length,
        seeders: sum((s) => s.seeders),
        leechers: sum((s) => s.leechers),
        completed: sum((s) => s.completed),
        ...counters,
        swarms,
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        http.closeAllConnections()
      }),
  }
}

/** Binds HTTP, then UDP on the same port number (with port 0, the one HTTP got). */
async function listenBoth(
  http: NonNullable<Server['http']>,
  udp: NonNullable<Server['udp4']>,
  host: string,
  port: number,
): Promise<number> {
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
    fail('UDP', actual)(err)
  })
  return actual
}
