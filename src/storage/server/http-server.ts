import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../../util/logger.ts'
import { httpStatusFor } from './http-error.ts'
import {
  type BodyLimits,
  DEFAULT_BODY_LIMITS,
  matchRoute,
  type RouteCounters,
  storageRoutes,
} from './http-routes.ts'
import { authorizationMatches, parseSecrets } from './http-secrets.ts'
import { formatNurl, swissnumAuthorization } from './nurl.ts'
import type { StorageCore } from './storage-core.ts'
import type { TlsIdentity } from './tls-identity.ts'

export interface StorageHttpServerInit {
  /** address to listen on */
  host: string
  /** port to listen on (0: any free port) */
  port: number
  /** host name or address written in the NURL (default: `host`, or 127.0.0.1 for a wildcard) */
  advertisedHost?: string
  /** the shared secret of the NURL (storage-server.ts keeps one in the storage directory) */
  swissnum: string
  tls: TlsIdentity
  limits?: Partial<BodyLimits>
}

export interface StorageHttpServerComponents {
  core: StorageCore
  logger: Logger
}

export interface StorageHttpServerStats {
  requests: number
  bytesServed: number
}

export interface StorageHttpServer {
  /** starts listening; resolves with the port and the NURL (a credential: never log it) */
  listen(): Promise<{ port: number; nurl: string }>
  close(): Promise<void>
  readonly nurl: string
  readonly port: number
  stats(): StorageHttpServerStats
}

/**
 * The HTTPS adapter of the storage core: Tahoe-LAFS's "Great Black Swamp" storage protocol
 * (docs/storage-server.md). It checks the swissnum and the per-endpoint secrets, parses and
 * checks bodies, calls the core, and maps the core's errors to the protocol's status codes.
 */
export function createStorageHttpServer(
  init: StorageHttpServerInit,
  components: StorageHttpServerComponents,
): StorageHttpServer {
  const { core, logger } = components
  const counters: RouteCounters & { requests: number } = { requests: 0, bytesServed: 0 }
  const routes = storageRoutes(core, { ...DEFAULT_BODY_LIMITS, ...init.limits }, counters)
  const expectedAuthorization = Buffer.from(swissnumAuthorization(init.swissnum), 'utf8')
  let server: Server | undefined
  let listening: { port: number; nurl: string } | undefined

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.requests++
    const started = performance.now()
    const path = (req.url ?? '').split('?')[0] as string
    let routeName = 'unknown'
    try {
      const match = matchRoute(routes, req.method ?? '', path)
      if (match === undefined) {
        send(res, 404, 'no such endpoint')
        return
      }
      if ('allow' in match) {
        send(res, 405, 'method not allowed', { allow: match.allow.join(', ') })
        return
      }
      routeName = match.route.name
      if (!authorizationMatches(req.headers.authorization, expectedAuthorization)) {
        send(res, 401, 'wrong or missing Authorization')
        return
      }
      const secrets = parseSecrets(req.headersDistinct['x-tahoe-authorization'] ?? [], match.route.secrets)
      await match.route.handle({ req, res, si: match.si, shareNumber: match.shareNumber, secrets })
    } catch (err) {
      const { status, message, headers } = httpStatusFor(err)
      if (status >= 500) logger.error({ err, route: routeName }, 'storage request failed')
      if (res.headersSent) res.destroy()
      else send(res, status, message, headers)
    } finally {
      logger.debug(
        {
          method: req.method,
          route: routeName,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'storage request',
      )
    }
  }

  return {
    async listen() {
      if (listening !== undefined) return listening
      const s = createServer(
        {
          key: init.tls.privateKeyPem,
          cert: init.tls.certificatePem,
          minVersion: 'TLSv1.2',
          ALPNProtocols: ['http/1.1'],
          keepAlive: true,
          noDelay: true,
          // bodies of any size may stream as long as data flows; idle sockets are closed
          requestTimeout: 0,
          headersTimeout: 60_000,
          keepAliveTimeout: 120_000,
        },
        (req, res) => void handle(req, res),
      )
      s.timeout = 120_000
      s.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake failed'))
      s.on('clientError', (err, socket) => {
        logger.debug({ err: err.message }, 'malformed HTTP request')
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
        else socket.destroy()
      })
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(init.port, init.host, () => {
          s.off('error', reject)
          resolve()
        })
      })
      server = s
      const port = (s.address() as AddressInfo).port
      const wildcard = init.host === '0.0.0.0' || init.host === '::' || init.host === ''
      const host = init.advertisedHost ?? (wildcard ? '127.0.0.1' : init.host)
      listening = {
        port,
        nurl: formatNurl({ spkiHash: init.tls.spkiHash, host, port, swissnum: init.swissnum }),
      }
      logger.info({ host: init.host, port }, 'storage server listening')
      return listening
    },
    async close() {
      const s = server
      if (s === undefined) return
      server = undefined
      listening = undefined
      await new Promise<void>((resolve) => {
        s.close(() => resolve())
        s.closeAllConnections()
      })
    },
    get nurl() {
      if (listening === undefined) throw new Error('the storage server is not listening')
      return listening.nurl
    },
    get port() {
      if (listening === undefined) throw new Error('the storage server is not listening')
      return listening.port
    },
    stats: () => ({ requests: counters.requests, bytesServed: counters.bytesServed }),
  }
}

function send(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = status === 204 ? '' : `${message}\n`
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}
