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
