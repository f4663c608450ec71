import { Readable } from 'node:stream'
import { peerIdFromString } from '@libp2p/peer-id'
import { z } from 'zod'
import type { CloudyNode } from '../../node/types.ts'
import { tahoeAnnouncement } from '../../storage/server/tahoe-announcement.ts'
import { CloudyError } from '../../util/errors.ts'
import type { ApiApp } from '../api-app.ts'
import { ERROR_RESPONSES } from '../schemas/fields.ts'
import { API_V1 } from './prefix.ts'

/** Largest upload through the API (the spool on the gateway's disk is bounded by it). */
const MAX_UPLOAD_BYTES = 64 * 1024 ** 3

const CapParam = z.object({
  cap: z.string().min(1).max(4096).describe('a Tahoe-LAFS cap (URI:CHK:…, URI:LIT:…)'),
})

const PutResult = z.object({
  cap: z.string(),
  size: z.number(),
  placement: z.record(z.string(), z.string()).describe('share number → server holding it'),
})

const ShareProblem = z.object({
  server: z.string(),
  shnum: z.number(),
  stage: z.string(),
  message: z.string(),
  segment: z.number().optional(),
})

const CheckResult = z.object({
  verifyCap: z.string(),
  needed: z.number(),
  total: z.number(),
  sharesFound: z.number(),
  servers: z.array(z.object({ id: z.string(), name: z.string(), shares: z.array(z.number()) })),
  unreachable: z.array(z.string()),
  healthy: z.boolean(),
  recoverable: z.boolean(),
  corrupt: z.array(ShareProblem),
})

const ServerStatus = z.object({
  id: z.string().describe("the node's id"),
  name: z.string().describe("the node's name"),
  host: z
    .string()
    .nullable()
    .describe('where the storage protocol answers (null: its announcement is invalid)'),
  port: z.number().nullable(),
  self: z.boolean().describe('the storage server of this node'),
  capacity: z
    .number()
    .nullable()
    .describe('bytes the node offers (its `capacity` option); null: what its disk allows'),
  reachable: z.boolean().describe('answered a version query from this node in time'),
  latencyMs: z.number().nullable(),
  availableSpace: z.number().nullable().describe('bytes the server accepts now'),
  applicationVersion: z.string().nullable(),
  error: z.string().optional().describe('why it did not answer'),
})

const LocalStorage = z.object({
  shares: z.number(),
  bytesUsed: z.number(),
  uploadsInProgress: z.number(),
  capacity: z.number().nullable().describe('null: what the disk allows'),
  reservedSpace: z.number().describe('bytes always left free on the disk'),
})

const StorageServers = z.object({
  servers: z.array(ServerStatus),
  local: LocalStorage.nullable().describe("this node's storage server, null when it does not run"),
  encoding: z.object({
    needed: z.number(),
    happy: z.number(),
    total: z.number(),
    maxSegmentSize: z.number(),
  }),
})

/** How long a storage server may take to answer the version query of GET /storage/servers. */
const HEALTH_TIMEOUT_MS = 3000

/**
 * A single byte range of a `Range` header (RFC 9110): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * Returns undefined for no header or a form not served as a range (several ranges), 'unsatisfiable'
 * when it starts past the end.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { offset: number; length: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    const length = Math.min(suffix, size)
    return { offset: size - length, length }
  }
  const start = Number(m[1])
  if (start >= size) return 'unsatisfiable'
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (end < start) return undefined
  return { offset: start, length: end - start + 1 }
}

/**
 * The storage gateway over HTTP (docs/api.md): PUT a body to get its cap, GET a cap (with Range),
 * check and verify. Caps travel in the path: the request log never writes URLs, and errors never
 * quote a cap.
 */
export function registerStorageRoutes(app: ApiApp, { node }: { node: CloudyNode }): void {
  const tags = ['storage']

  // the upload body is any bytes, streamed: no parser reads it
  app.register(async (scope: ApiApp) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null))
    scope.put(
      `${API_V1}/uri`,
      {
        schema: {
          tags,
          summary: 'Store a file (the request body) on the cloud; answers its read cap',
          response: { 201: PutResult, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const declared = Number(request.headers['content-length'])
        if (Number.isFinite(declared) && declared > MAX_UPLOAD_BYTES) {
          throw new CloudyError('PAYLOAD_TOO_LARGE', `an upload may have at most ${MAX_UPLOAD_BYTES} bytes`)
        }
        const abort = new AbortController()
        request.raw.once('close', () => {
          if (!request.raw.complete) abort.abort(new CloudyError('UNAVAILABLE', 'the client went away'))
        })
        const result = await node
          .storageGateway()
          .putStream(request.raw, { maxBytes: MAX_UPLOAD_BYTES, signal: abort.signal })
        reply.code(201)
        return result
      },
    )
  })

  app.get(
    `${API_V1}/uri/:cap`,
    {
      schema: {
        tags,
        summary: 'Read a file by its read cap; honours a single byte range (Range: bytes=a-b)',
        params: CapParam,
        headers: z.object({ range: z.string().max(200).optional() }).passthrough(),
      },
    },
    async (request, reply) => {
      const gateway = node.storageGateway()
      const size = gateway.sizeOf(request.params.cap)
      const range = parseRange(request.headers.range, size)
      if (range === 'unsatisfiable') {
        reply.code(416).header('content-range', `bytes */${size}`)
        throw new CloudyError(
          'RANGE_NOT_SATISFIABLE',
          `the range starts past the end of the file (${size} bytes)`,
        )
      }
      const abort = new AbortController()
      request.raw.once('close', () => abort.abort())
      const { body } = await gateway.get(request.params.cap, {
        ...(range && { range }),
        signal: abort.signal,
      })
      reply.header('content-type', 'application/octet-stream').header('accept-ranges', 'bytes')
      if (range) {
        reply
          .code(206)
          .header('content-range', `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`)
          .header('content-length', range.length)
      } else {
        reply.header('content-length', size)
      }
      return reply.send(Readable.from(body, { objectMode: false }))
    },
  )

  app.get(
    `${API_V1}/storage/announcement`,
    {
      schema: {
        tags,
        summary:
          "This node's storage server as an entry of a Tahoe-LAFS gateway's static server list (servers.yaml); holds the swissnum",
        response: { 200: z.object({ yaml: z.string() }), ...ERROR_RESPONSES },
      },
    },
    async () => {
      const server = node.storageServer()
      const status = node.status()
      const yaml = tahoeAnnouncement({
        publicKey: peerIdFromString(status.id).publicKey?.raw ?? new Uint8Array(32),
        nickname: status.name,
        nurl: server.nurl,
        serverId: server.serverId,
      })
      return { yaml }
    },
  )

  app.get(
    `${API_V1}/storage/servers`,
    {
      schema: {
        tags,
        summary:
          "The cloud's storage servers with their health as seen from this node (a version query each, in parallel), and this node's own storage server",
        response: { 200: StorageServers, ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      const gateway = node.storageGateway()
      const abort = new AbortController()
      reply.raw.once('close', () => abort.abort())
      const statuses = await gateway.serverStatus({ timeoutMs: HEALTH_TIMEOUT_MS, signal: abort.signal })
      const selfId = node.status().id
      const offered = new Map(node.members().map((m) => [m.id, m.resources.contributedStorage]))
      let local: z.infer<typeof LocalStorage> | null = null
      try {
        const server = node.storageServer()
        const stats = server.core.stats()
        local = {
          shares: stats.shares,
          bytesUsed: stats.bytesUsed,
          uploadsInProgress: stats.uploadsInProgress,
          capacity: stats.capacity ?? null,
          reservedSpace: stats.reservedSpace,
        }
      } catch (err) {
        // not running: this node contributes nothing now
        if (!(err instanceof CloudyError && ['SERVICE_DISABLED', 'SERVICE_FAILED'].includes(err.code)))
          throw err
      }
      return {
        servers: statuses.map((s) => {
          const capacity = offered.get(s.id) ?? 0
          return { ...s, self: s.id === selfId, capacity: capacity > 0 ? capacity : null }
        }),
        local,
        encoding: gateway.encoding,
      }
    },
  )

  for (const deep of [false, true]) {
    app.post(
      `${API_V1}/uri/:cap/${deep ? 'verify' : 'check'}`,
      {
        schema: {
          tags,
          summary: deep
            ? 'Fetch and hash-check every share of a file; corrupt shares are reported to their servers'
            : 'Which servers hold which shares of a file (no share is read)',
          params: CapParam,
          response: { 200: CheckResult, ...ERROR_RESPONSES },
        },
      },
      async (request) => {
        const gateway = node.storageGateway()
        return deep ? gateway.verify(request.params.cap) : gateway.check(request.params.cap)
      },
    )
  }
}
