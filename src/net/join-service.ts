import '../util/polyfill.ts'
import type { PrivateKey } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { getNetConfig } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import { z } from 'zod'
import { CloudyError, isCloudyError } from '../util/errors.ts'
import type { Logger } from '../util/logger.ts'
import { announceFilter } from './announce-filter.ts'
import { CLOUD_ID_RE, decodeCloudKey } from './cloud-key.ts'
import type { Invite } from './invite.ts'
import { listenError, listenMultiaddr, parseMultiaddr } from './peer-address.ts'
import { createRateLimiter } from './rate-limiter.ts'
import { sendRequest, serveRequest } from './request-response.ts'
import type { Message } from './types.ts'

/**
 * The join handshake (docs/overlay.md, "Joining"). A joining node does not hold the cloud key yet, so
 * it cannot enter the private overlay: the inviting member serves this protocol on a separate libp2p
 * node without pnet (TCP + Noise + Yamux) under the same identity key. Noise authenticates both ends:
 * the joiner checks the inviter's peer id from the invite, the inviter learns the joiner's peer id.
 */
export const JOIN_PROTOCOL = '/cloudy/join/1.0.0'

export const JOIN_DEFAULTS = {
  /** join requests per minute from one IP address, and from one peer id */
  attemptsPerMinute: 10,
  maxRequestBytes: 4096,
  serveReadTimeoutMs: 5000,
  maxConnections: 64,
  /** the whole requestJoin */
  timeoutMs: 30_000,
  /** one address of the invite (generous: the inviter may be a busy small board) */
  addressTimeoutMs: 10_000,
} as const

export interface JoinRequest {
  /** the invite's one-time token */
  token: string
  /** the joiner's peer id, from the Noise-authenticated connection */
  joiner: string
  /** the joiner's node name */
  name: string
}

export interface JoinGrant {
  cloudId: string
  cloudName: string
  /** the cloud key, base64 (encodeCloudKey) */
  cloudKey: string
  members: { id: string; addrs: string[] }[]
  settings: Record<string, unknown>
}

export interface JoinServerInit {
  /** the member's identity key, the same as its overlay's */
  privateKey: PrivateKey
  host: string
  port: number
  /** decides on a request; throw CloudyError('INVITE_REFUSED', ...) to refuse: the joiner gets that code and message */
  onJoin: (request: JoinRequest) => Promise<JoinGrant>
}

export interface JoinServerComponents {
  logger: Logger
  /** for the rate limiter; default Date.now */
  clock?: () => number
}

export interface JoinServer {
  /** the join addresses, with /p2p/<id>, to put in invites */
  addresses(): string[]
  stop(): Promise<void>
}

const joinRequestSchema = z.object({
  token: z.string().min(1).max(256),
  name: z.string().min(1).max(128),
})

const joinGrantSchema = z.object({
  cloudId: z.string().regex(CLOUD_ID_RE),
  cloudName: z.string().min(1),
  cloudKey: z.string().refine(isCloudKeyText),
  members: z.array(z.object({ id: z.string(), addrs: z.array(z.string()) })),
  settings: z.record(z.string(), z.unknown()),
})

/** The libp2p parts both ends of the handshake use: no pnet, no identify, no ping. */
function joinTransportOptions(privateKey: PrivateKey): Libp2pOptions {
  return {
    privateKey,
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
  }
}

export async function createJoinServer(
  init: JoinServerInit,
  components: JoinServerComponents,
): Promise<JoinServer> {
  const log = components.logger.child({ component: 'join-server' })
  const limiter = createRateLimiter(
    { limit: JOIN_DEFAULTS.attemptsPerMinute, windowMs: 60_000 },
    { clock: components.clock ?? Date.now },
  )
  const node = await createLibp2p({
    ...joinTransportOptions(init.privateKey),
    start: false,
    addresses: {
      listen: [listenMultiaddr(init.host, init.port).toString()],
      // invites from a wildcard listener must not send joiners to their own 127.0.0.1
      announceFilter: announceFilter(init.host),
    },
    connectionManager: {
      maxConnections: JOIN_DEFAULTS.maxConnections,
      // libp2p's own per-host connection rate limit stays above the join limit, which answers clearly
      inboundConnectionThreshold: 2 * JOIN_DEFAULTS.attemptsPerMinute,
    },
  })

  await node.handle(
    JOIN_PROTOCOL,
    (stream, connection) => {
      const joiner = connection.remotePeer.toString()
      const remoteHost = getNetConfig(connection.remoteAddr).host
      return serveRequest(
        stream,
        async (msg) => {
          for (const key of [`ip:${remoteHost}`, `peer:${joiner}`]) {
            const decision = limiter.take(key)
            if (!decision.allowed) {
              log.warn({ joiner, remoteHost }, 'join attempts rate-limited')
              throw new CloudyError(
                'RATE_LIMITED',
                `too many join attempts; try again in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
              )
            }
          }
          const request = joinRequestSchema.safeParse(msg)
          if (!request.success)
            throw new CloudyError('INVALID_INPUT', 'malformed join request: expected {token, name}')
          const { token, name } = request.data
          try {
            const grant = await init.onJoin({ token, joiner, name })
            log.info({ joiner, name, remoteHost }, 'join granted')
            return { ...grant }
          } catch (err) {
            log.info({ joiner, name, remoteHost, reason: (err as Error).message }, 'join refused')
            throw err
          }
        },
        {
          from: joiner,
          log,
          readTimeoutMs: JOIN_DEFAULTS.serveReadTimeoutMs,
          maxRequestBytes: JOIN_DEFAULTS.maxRequestBytes,
        },
      )
    },
    { maxInboundStreams: 1 },
  )
  try {
    await node.start()
  } catch (err) {
    await node.stop()
    throw listenError(err, init.host, init.port)
  }
  log.info({ addrs: node.getMultiaddrs().map(String) }, 'join server listening')

  return {
    addresses: () => node.getMultiaddrs().map(String),
    async stop() {
      await node.stop()
    },
  }
}

export interface RequestJoinInit {
  /** the joiner's identity key: the inviter sees its peer id */
  privateKey: PrivateKey
  /** the joiner's node name */
  name: string
  signal?: AbortSignal
  /** the whole attempt over all addresses; default 20 s */
  timeoutMs?: number
}

export interface RequestJoinComponents {
  logger: Logger
}

/**
 * Asks the inviting member for the cloud: dials the invite's addresses in turn from a temporary
 * libp2p node (always stopped again), sends {token, name} and returns the grant. The first answer
 * from the inviter is final: a refusal rejects with its CloudyError (INVITE_REFUSED, RATE_LIMITED...).
 * When no address answers, rejects with JOIN_FAILED naming each address tried and why it failed.
 */
export async function requestJoin(
  invite: Invite,
  init: RequestJoinInit,
  components: RequestJoinComponents,
): Promise<JoinGrant> {
  const log = components.logger.child({ component: 'join-client' })
  const timeoutMs = init.timeoutMs ?? JOIN_DEFAULTS.timeoutMs
  const overall = AbortSignal.timeout(timeoutMs)
  const signal = init.signal ? AbortSignal.any([init.signal, overall]) : overall
  const node = await createLibp2p({
    ...joinTransportOptions(init.privateKey),
    addresses: { listen: [] },
    connectionManager: { dialTimeout: JOIN_DEFAULTS.addressTimeoutMs },
  })
  const failures: string[] = []
  try {
    for (const addr of invite.addrs) {
      if (signal.aborted) break
      let stream: Awaited<ReturnType<typeof node.dialProtocol>>
      try {
        stream = await node.dialProtocol(parseMultiaddr(addr), JOIN_PROTOCOL, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(JOIN_DEFAULTS.addressTimeoutMs)]),
        })
      } catch (err) {
        failures.push(`${addr} (${describeDialFailure(err, invite.peer)})`)
        continue
      }
      let answer: Message
      try {
        answer = await sendRequest(stream, { token: invite.token, name: init.name }, { signal, reply: true })
      } catch (err) {
        if (isCloudyError(err) && err.details?.remote === true) throw err
        failures.push(`${addr} (no answer: ${(err as Error).message})`)
        continue
      }
      return parseGrant(answer, invite)
    }
  } finally {
    try {
      await node.stop()
    } catch (err) {
      log.warn({ reason: (err as Error).message }, 'could not stop the join client')
    }
  }
  if (init.signal?.aborted) throw init.signal.reason
  const gaveUp = overall.aborted ? ` (gave up after ${timeoutMs} ms)` : ''
  throw new CloudyError(
    'JOIN_FAILED',
    `could not reach the inviting node ${invite.peer}${gaveUp}; tried ${failures.join(', ') || 'no address'}`,
    { details: { tried: invite.addrs } },
  )
}

function parseGrant(answer: Message, invite: Invite): JoinGrant {
  const grant = joinGrantSchema.safeParse(answer)
  if (!grant.success) throw new CloudyError('JOIN_FAILED', 'the inviting node sent a malformed join grant')
  if (grant.data.cloudId !== invite.cloudId) {
    throw new CloudyError(
      'JOIN_FAILED',
      `the inviting node granted cloud ${grant.data.cloudId}, but the invite is for cloud ${invite.cloudId}`,
    )
  }
  return grant.data
}

function isCloudKeyText(text: string): boolean {
  try {
    decodeCloudKey(text)
    return true
  } catch {
    return false
  }
}

function describeDialFailure(err: unknown, peer: string): string {
  const e = err as Error & { errors?: Error[] }
  const inner = e.name === 'AggregateError' && e.errors?.[0] ? e.errors[0] : e
  if (inner.name === 'AbortError' || inner.name === 'TimeoutError') return 'timed out'
  const impostor = /identity key (\S+) does not match expected remote identity key/.exec(inner.message)
  if (impostor) return `the node there is not ${peer}: it is ${impostor[1]}`
  return inner.message
}
