import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { decodeBody, readBody, requestMediaType, responseMediaType, sendEncoded } from './http-bodies.ts'
import { HttpError } from './http-error.ts'
import {
  allocateMessage,
  parseAllocateRequest,
  parseCorruptionReport,
  parseReadTestWrite,
  readTestWriteMessage,
  requiredMessage,
  versionMessage,
} from './http-messages.ts'
import { formatContentRange, parseContentRange, parseRange } from './http-ranges.ts'
import type { SecretKind } from './http-secrets.ts'
import type { ShareReader } from './share-reader.ts'
import type { StorageCore } from './storage-core.ts'
import { isStorageIndexText, MAX_SHARE_NUMBER } from './storage-index.ts'

export interface RouteContext {
  req: IncomingMessage
  res: ServerResponse
  si: string
  shareNumber: number
  secrets: Map<SecretKind, Uint8Array>
}

export interface Route {
  name: string
  method: string
  /** path segments after /storage/v1/; `:si` is a storage index, `:shnum` a share number */
  segments: readonly string[]
  secrets: readonly SecretKind[]
  handle(ctx: RouteContext): Promise<void>
}

export interface BodyLimits {
  /** allocation requests (Tahoe: 8 KiB) */
  allocate: number
  /** corruption reports (Tahoe: 32 KiB) */
  corrupt: number
  /** read-test-write requests, which carry whole mutable shares */
  readTestWrite: number
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  allocate: 8 * 1024,
  corrupt: 32 * 1024,
  readTestWrite: 256 * 1024 * 1024,
}

/** Share data up to this size is read in one piece; larger ranges are streamed. */
const SINGLE_READ_BYTES = 4 * 1024 * 1024
const OCTET_STREAM = 'application/octet-stream'

export interface RouteCounters {
  bytesServed: number
}

/** The storage protocol's endpoints (docs/specifications/http-storage-node-protocol.rst). */
export function storageRoutes(core: StorageCore, limits: BodyLimits, counters: RouteCounters): Route[] {
  const secret = (ctx: RouteContext, kind: SecretKind) => ctx.secrets.get(kind) as Uint8Array
  const leaseSecrets = (ctx: RouteContext) => ({
    renewSecret: secret(ctx, 'lease-renew-secret'),
    cancelSecret: secret(ctx, 'lease-cancel-secret'),
  })
  const decoded = async (ctx: RouteContext, limit: number) => {
    const type = requestMediaType(ctx.req)
    return { value: decodeBody(await readBody(ctx.req, limit), type), json: type === 'application/json' }
  }
  const sendShare = (ctx: RouteContext, reader: ShareReader) => sendShareData(ctx, reader, counters)

  return [
    {
      name: 'version',
      method: 'GET',
      segments: ['version'],
      secrets: [],
      async handle(ctx) {
        const type = responseMediaType(ctx.req)
        sendEncoded(ctx.res, 200, versionMessage(await core.version()), type)
      },
    },
    {
      name: 'lease',
      method: 'PUT',
      segments: ['lease', ':si'],
      secrets: ['lease-renew-secret', 'lease-cancel-secret'],
      async handle(ctx) {
        await core.addOrRenewLease(ctx.si, leaseSecrets(ctx))
        ctx.res.writeHead(204).end()
      },
    },
    {
      name: 'immutable-allocate',
      method: 'POST',
      segments: ['immutable', ':si'],
      secrets: ['lease-renew-secret', 'lease-cancel-secret', 'upload-secret'],
      async handle(ctx) {
        const type = responseMediaType(ctx.req)
        const request = parseAllocateRequest((await decoded(ctx, limits.allocate)).value)
        const result = await core.allocateBuckets(ctx.si, {
          ...request,
          ...leaseSecrets(ctx),
          uploadSecret: secret(ctx, 'upload-secret'),
        })
        sendEncoded(ctx.res, 200, allocateMessage(result), type)
      },
    },
    {
      name: 'immutable-write',
      method: 'PATCH',
      segments: ['immutable', ':si', ':shnum'],
      secrets: ['upload-secret'],
      async handle(ctx) {
        const header = ctx.req.headers['content-range']
        const span = header === undefined ? undefined : parseContentRange(header)
        if (span === undefined) throw new HttpError(416, 'a write needs Content-Range: bytes first-last/*')
        const type = responseMediaType(ctx.req)
        const declared = ctx.req.headers['content-length']
        if (declared !== undefined && Number(declared) !== span.end - span.start) {
          throw new HttpError(400, 'Content-Length differs from the Content-Range')
        }
        const result = await core.writeImmutable(
          ctx.si,
          ctx.shareNumber,
          secret(ctx, 'upload-secret'),
          span.start,
          span.end - span.start,
          ctx.req,
        )
        sendEncoded(ctx.res, result.complete ? 201 : 200, requiredMessage(result.required), type)
      },
    },
    {
      name: 'immutable-abort',
      method: 'PUT',
      segments: ['immutable', ':si', ':shnum', 'abort'],
      secrets: ['upload-secret'],
      async handle(ctx) {
        await core.abortImmutable(ctx.si, ctx.shareNumber, secret(ctx, 'upload-secret'))
        ctx.res.writeHead(200, { 'content-length': 0 }).end()
      },
    },
    {
      name: 'immutable-shares',
      method: 'GET',
      segments: ['immutable', ':si', 'shares'],
      secrets: [],
      async handle(ctx) {
        const type = responseMediaType(ctx.req)
        sendEncoded(ctx.res, 200, new Set(await core.listImmutableShares(ctx.si)), type)
      },
    },
    {
      name: 'immutable-read',
      method: 'GET',
      segments: ['immutable', ':si', ':shnum'],
      secrets: [],
      async handle(ctx) {
        await sendShare(ctx, await core.openImmutableShare(ctx.si, ctx.shareNumber))
      },
    },
    {
      name: 'immutable-corrupt',
      method: 'POST',
      segments: ['immutable', ':si', ':shnum', 'corrupt'],
      secrets: [],
      async handle(ctx) {
        const reason = parseCorruptionReport((await decoded(ctx, limits.corrupt)).value)
        await core.adviseCorruptShare('immutable', ctx.si, ctx.shareNumber, reason)
        ctx.res.writeHead(200, { 'content-length': 0 }).end()
      },
    },
    {
      name: 'mutable-read-test-write',
      method: 'POST',
      segments: ['mutable', ':si', 'read-test-write'],
      secrets: ['lease-renew-secret', 'lease-cancel-secret', 'write-enabler'],
      async handle(ctx) {
        const type = responseMediaType(ctx.req)
        const body = await decoded(ctx, limits.readTestWrite)
        const { vectors, readVector } = parseReadTestWrite(body.value, body.json)
        const result = await core.readTestWrite(
          ctx.si,
          { ...leaseSecrets(ctx), writeEnabler: secret(ctx, 'write-enabler') },
          vectors,
          readVector,
        )
        sendEncoded(ctx.res, 200, readTestWriteMessage(result), type)
      },
    },
    {
      name: 'mutable-shares',
      method: 'GET',
      segments: ['mutable', ':si', 'shares'],
      secrets: [],
      async handle(ctx) {
        const type = responseMediaType(ctx.req)
        sendEncoded(ctx.res, 200, new Set(await core.listMutableShares(ctx.si)), type)
      },
    },
    {
      name: 'mutable-read',
      method: 'GET',
      segments: ['mutable', ':si', ':shnum'],
      secrets: [],
      async handle(ctx) {
        await sendShare(ctx, await core.openMutableShare(ctx.si, ctx.shareNumber))
      },
    },
    {
      name: 'mutable-corrupt',
      method: 'POST',
      segments: ['mutable', ':si', ':shnum', 'corrupt'],
      secrets: [],
      async handle(ctx) {
        const reason = parseCorruptionReport((await decoded(ctx, limits.corrupt)).value)
        await core.adviseCorruptShare('mutable', ctx.si, ctx.shareNumber, reason)
        ctx.res.writeHead(200, { 'content-length': 0 }).end()
      },
    },
  ]
}

/**
 * Share data as Tahoe serves it: without Range the whole share (200); with `Range: bytes=a-b` the
 * part that exists (206 and `Content-Range: bytes a-c/*`, shorter when b is past the end), 204 when
 * that part is empty, 416 for any other Range.
 */
async function sendShareData(ctx: RouteContext, reader: ShareReader, counters: RouteCounters): Promise<void> {
  const { req, res } = ctx
  try {
    const header = req.headers.range
    let start = 0
    let end = reader.length
    let status = 200
    const headers: Record<string, string | number> = { 'content-type': OCTET_STREAM }
    if (header !== undefined) {
      const span = parseRange(header)
      if (span === undefined) throw new HttpError(416, 'send one Range: bytes=first-last')
      start = span.start
      end = Math.min(span.end, reader.length)
      if (start >= end) {
        res.writeHead(204).end()
        return
      }
      status = 206
      headers['content-range'] = formatContentRange({ start, end })
    }
    headers['content-length'] = end - start
    counters.bytesServed += end - start
    if (end - start <= SINGLE_READ_BYTES) {
      const data = await reader.read(start, end - start)
      res.writeHead(status, headers).end(data)
    } else {
      res.writeHead(status, headers)
      await pipeline(reader.stream(start, end - start), res)
    }
  } finally {
    await reader.close()
  }
}

/** Finds the route for a path: the route, 405 (path known, method not), or undefined (404). */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; si: string; shareNumber: number } | { allow: string[] } | undefined {
  const prefix = '/storage/v1/'
  if (!path.startsWith(prefix)) return undefined
  const parts = path.slice(prefix.length).split('/')
  const allow: string[] = []
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue
    let si = ''
    let shareNumber = -1
    let ok = true
    for (const [i, seg] of route.segments.entries()) {
      const part = parts[i] as string
      if (seg === ':si') {
        ok = isStorageIndexText(part)
        si = part
      } else if (seg === ':shnum') {
        ok = /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= MAX_SHARE_NUMBER
        shareNumber = Number(part)
      } else ok = seg === part
      if (!ok) break
    }
    if (!ok) continue
    if (route.method === method) return { route, si, shareNumber }
    allow.push(route.method)
  }
  return allow.length > 0 ? { allow } : undefined
}
