import { Readable } from 'node:stream'
import { type Dispatcher, Pool } from 'undici'
import { CloudyError } from '../../util/errors.ts'
import { VERSION_V1_KEY } from '../server/http-messages.ts'
import { formatRange, parseContentRange } from '../server/http-ranges.ts'
import { type Nurl, parseNurl, swissnumAuthorization } from '../server/nurl.ts'
import { CBOR_MEDIA_TYPE, decodeCbor, encodeCbor } from '../server/storage-cbor.ts'
import { normalizeStorageIndex } from '../server/storage-index.ts'
import type {
  AllocateResult,
  ByteRange,
  ReadTestWriteResult,
  ReadVector,
  SlotSecrets,
  StorageVersion,
  TestWriteVectors,
} from '../server/types.ts'
import { protocolError, statusError, transportError } from './client-errors.ts'
import { pinnedConnector } from './pinned-connector.ts'

export interface StorageClientInit {
  /** the server's NURL (a credential: never log it) */
  nurl: string
  /** keep-alive connections to the server (default 8) */
  connections?: number
  /** time to connect with TLS (default 10 s) */
  connectTimeoutMs?: number
  /** time to wait for the response headers, and between body chunks (default 60 s, as Tahoe) */
  timeoutMs?: number
  /** largest CBOR answer accepted (default 30 MiB, as Tahoe) */
  maxMessageBytes?: number
}

export interface CallOptions {
  signal?: AbortSignal
}

export interface LeaseSecrets {
  renewSecret: Uint8Array
  cancelSecret: Uint8Array
}

export interface AllocateBucketsRequest extends LeaseSecrets {
  shareNumbers: Iterable<number>
  allocatedSize: number
  uploadSecret: Uint8Array
}

export interface UploadProgress {
  /** the server has every byte of the share */
  finished: boolean
  required: ByteRange[]
}

type Si = Uint8Array | string
type Secret = [kind: string, value: Uint8Array]

const OCTET_STREAM = 'application/octet-stream'

/**
 * A client of one storage server speaking Tahoe-LAFS's HTTP storage protocol, given its NURL: TLS
 * pinned to the NURL's certificate hash, a pool of keep-alive connections, CBOR messages, every
 * endpoint. Failures are CloudyErrors (client-errors.ts); an aborted call rejects with the
 * signal's reason.
 */
export class StorageClient {
  readonly #pool: Pool
  readonly #nurl: Nurl
  readonly #authorization: string
  readonly #timeoutMs: number
  readonly #maxMessageBytes: number

  constructor(init: StorageClientInit) {
    this.#nurl = parseNurl(init.nurl)
    this.#authorization = swissnumAuthorization(this.#nurl.swissnum)
    this.#timeoutMs = init.timeoutMs ?? 60_000
    this.#maxMessageBytes = init.maxMessageBytes ?? 30 * 1024 * 1024
    const host = this.#nurl.host.includes(':') ? `[${this.#nurl.host}]` : this.#nurl.host
    this.#pool = new Pool(`https://${host}:${this.#nurl.port}`, {
      connections: init.connections ?? 8,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      connect: pinnedConnector(this.#nurl.spkiHash, init.connectTimeoutMs ?? 10_000),
    })
  }

  /** The server's identity: the certificate hash its NURL pins. */
  get serverId(): string {
    return this.#nurl.spkiHash
  }

  async close(): Promise<void> {
    await this.#pool.close()
  }

  // ---- general --------------------------------------------------------------------------------

  async version(options: CallOptions = {}): Promise<StorageVersion> {
    const what = 'version'
    const m = await this.#cbor(what, 'GET', '/storage/v1/version', [], undefined, options)
    const top = asMap(m, what)
    const v1 = asMap(byTextKey(top, VERSION_V1_KEY, what), what)
    const num = (key: string) => toNumber(byTextKey(v1, key, what), what)
    const app = byTextKey(top, 'application-version', what)
    if (!(app instanceof Uint8Array)) throw protocolError(what, 'application-version is not bytes')
    const maxMutable = byTextKey(v1, 'maximum-mutable-share-size', what)
    return {
      maximumImmutableShareSize: num('maximum-immutable-share-size'),
      maximumMutableShareSize:
        typeof maxMutable === 'bigint' ? maxMutable : BigInt(toNumber(maxMutable, what)),
      availableSpace: num('available-space'),
      applicationVersion: Buffer.from(app).toString('utf8'),
    }
  }

  /** Renews the lease (matched by renew secret) on every share of the storage index, or adds one. */
  async addOrRenewLease(si: Si, lease: LeaseSecrets, options: CallOptions = {}): Promise<void> {
    const what = 'add or renew lease'
    const { status, text } = await this.#plain(
      what,
      'PUT',
      `/storage/v1/lease/${siText(si)}`,
      leaseHeaders(lease),
      options,
    )
    if (status !== 204) throw statusError(status, what, text)
  }

  // ---- immutable ------------------------------------------------------------------------------

  async allocateBuckets(
    si: Si,
    request: AllocateBucketsRequest,
    options: CallOptions = {},
  ): Promise<AllocateResult> {
    const what = 'allocate buckets'
    const message = new Map<string, unknown>([
      ['share-numbers', new Set([...request.shareNumbers].sort((a, b) => a - b))],
      ['allocated-size', request.allocatedSize],
    ])
    const m = asMap(
      await this.#cbor(
        what,
        'POST',
        `/storage/v1/immutable/${siText(si)}`,
        [...leaseHeaders(request), ['upload-secret', request.uploadSecret]],
        message,
        options,
      ),
      what,
    )
    return {
      alreadyHave: shareSet(m.get('already-have'), what),
      allocated: shareSet(m.get('allocated'), what),
    }
  }

  /**
   * Uploads `data` at `offset` of a share allocated with `uploadSecret`. Several contiguous pieces
   * may be given: they go in one request without being copied together.
   */
  async writeShareChunk(
    si: Si,
    shareNumber: number,
    uploadSecret: Uint8Array,
    offset: number,
    data: Uint8Array | readonly Uint8Array[],
    options: CallOptions = {},
  ): Promise<UploadProgress> {
    const what = 'write share data'
    const parts = data instanceof Uint8Array ? [data] : data
    const length = parts.reduce((sum, part) => sum + part.length, 0)
    if (length === 0) throw new CloudyError('INVALID_INPUT', `${what}: there is nothing to write`)
    const res = await this.#request(
      what,
      {
        method: 'PATCH',
        path: `/storage/v1/immutable/${siText(si)}/${shareNumber}`,
        headers: {
          ...this.#headers([['upload-secret', uploadSecret]]),
          'content-range': `bytes ${offset}-${offset + length - 1}/*`,
          'content-length': String(length),
        },
        body: parts.length === 1 ? (parts[0] as Uint8Array) : Readable.from(parts, { objectMode: false }),
      },
      options,
    )
    if (res.statusCode !== 200 && res.statusCode !== 201)
      throw statusError(res.statusCode, what, await text(res))
    const m = asMap(await this.#readCbor(what, res), what)
    const required = m.get('required')
    if (!Array.isArray(required)) throw protocolError(what, 'no required list')
    return {
      finished: res.statusCode === 201,
      required: required.map((r) => {
        const rm = asMap(r, what)
        return { begin: toNumber(rm.get('begin'), what), end: toNumber(rm.get('end'), what) }
      }),
    }
  }

  async abortUpload(
    si: Si,
    shareNumber: number,
    uploadSecret: Uint8Array,
    options: CallOptions = {},
  ): Promise<void> {
    const what = 'abort upload'
    const path = `/storage/v1/immutable/${siText(si)}/${shareNumber}/abort`
    const { status, text } = await this.#plain(what, 'PUT', path, [['upload-secret', uploadSecret]], options)
    if (status !== 200) throw statusError(status, what, text)
  }

  async listImmutableShares(si: Si, options: CallOptions = {}): Promise<number[]> {
    const what = 'list immutable shares'
    return shareSet(
      await this.#cbor(what, 'GET', `/storage/v1/immutable/${siText(si)}/shares`, [], undefined, options),
      what,
    )
  }

  /** Reads up to `length` bytes at `offset` (fewer at the end of the share). */
  async readImmutableShare(
    si: Si,
    shareNumber: number,
    offset: number,
    length: number,
    options: CallOptions = {},
  ): Promise<Uint8Array> {
    return this.#readShare('immutable', si, shareNumber, offset, length, options)
  }

  async adviseCorruptImmutableShare(si: Si, shareNumber: number, reason: string, options: CallOptions = {}) {
    await this.#adviseCorrupt('immutable', si, shareNumber, reason, options)
  }

  // ---- mutable --------------------------------------------------------------------------------

  /** Tests, reads and (if every test passes) writes mutable shares of a slot in one request. */
  async readTestWrite(
    si: Si,
    secrets: SlotSecrets,
    vectors: Map<number, TestWriteVectors>,
    readVector: ReadVector[],
    options: CallOptions = {},
  ): Promise<ReadTestWriteResult> {
    const what = 'read-test-write'
    const twv = new Map<number, unknown>()
    for (const [n, v] of vectors) {
      twv.set(
        n,
        new Map<string, unknown>([
          ['test', v.test.map((t) => ({ offset: t.offset, size: t.size, specimen: t.specimen }))],
          ['write', v.write.map((w) => ({ offset: w.offset, data: w.data }))],
          ['new-length', v.newLength],
        ]),
      )
    }
    const message = new Map<string, unknown>([
      ['test-write-vectors', twv],
      ['read-vector', readVector.map((r) => ({ offset: r.offset, size: r.size }))],
    ])
    const m = asMap(
      await this.#cbor(
        what,
        'POST',
        `/storage/v1/mutable/${siText(si)}/read-test-write`,
        [...leaseHeaders(secrets), ['write-enabler', secrets.writeEnabler]],
        message,
        options,
      ),
      what,
    )
    const success = m.get('success')
    if (typeof success !== 'boolean') throw protocolError(what, 'no success flag')
    const data = new Map<number, Uint8Array[]>()
    for (const [k, v] of asMap(m.get('data'), what)) {
      if (typeof k !== 'number' || !Array.isArray(v) || !v.every((d) => d instanceof Uint8Array)) {
        throw protocolError(what, 'malformed read data')
      }
      data.set(k, v as Uint8Array[])
    }
    return { success, data }
  }

  async listMutableShares(si: Si, options: CallOptions = {}): Promise<number[]> {
    const what = 'list mutable shares'
    return shareSet(
      await this.#cbor(what, 'GET', `/storage/v1/mutable/${siText(si)}/shares`, [], undefined, options),
      what,
    )
  }

  async readMutableShare(
    si: Si,
    shareNumber: number,
    offset: number,
    length: number,
    options: CallOptions = {},
  ): Promise<Uint8Array> {
    return this.#readShare('mutable', si, shareNumber, offset, length, options)
  }

  async adviseCorruptMutableShare(si: Si, shareNumber: number, reason: string, options: CallOptions = {}) {
    await this.#adviseCorrupt('mutable', si, shareNumber, reason, options)
  }

  // ---- internals ------------------------------------------------------------------------------

  #headers(secrets: Secret[]): Record<string, string | string[]> {
    const h: Record<string, string | string[]> = {
      authorization: this.#authorization,
      accept: CBOR_MEDIA_TYPE,
    }
    if (secrets.length > 0) {
      h['x-tahoe-authorization'] = secrets.map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    }
    return h
  }

  async #request(
    what: string,
    request: {
      method: Dispatcher.HttpMethod
      path: string
      headers: Record<string, string | string[]>
      body?: Uint8Array | Readable
    },
    options: CallOptions,
  ): Promise<Dispatcher.ResponseData> {
    options.signal?.throwIfAborted()
    try {
      return await this.#pool.request({
        ...request,
        ...(options.signal !== undefined && { signal: options.signal }),
      })
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason
      throw transportError(what, err)
    }
  }

  async #plain(
    what: string,
    method: Dispatcher.HttpMethod,
    path: string,
    secrets: Secret[],
    options: CallOptions,
  ): Promise<{ status: number; text: string }> {
    const res = await this.#request(what, { method, path, headers: this.#headers(secrets) }, options)
    return { status: res.statusCode, text: await text(res) }
  }

  /** A request with an optional CBOR message whose 200/201 answer is CBOR. */
  async #cbor(
    what: string,
    method: Dispatcher.HttpMethod,
    path: string,
    secrets: Secret[],
    message: unknown,
    options: CallOptions,
  ): Promise<unknown> {
    const headers = this.#headers(secrets)
    let body: Uint8Array | undefined
    if (message !== undefined) {
      headers['content-type'] = CBOR_MEDIA_TYPE
      body = encodeCbor(message)
    }
    const res = await this.#request(
      what,
      { method, path, headers, ...(body !== undefined && { body }) },
      options,
    )
    if (res.statusCode !== 200) throw statusError(res.statusCode, what, await text(res))
    return this.#readCbor(what, res)
  }

  async #readCbor(what: string, res: Dispatcher.ResponseData): Promise<unknown> {
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
    if (type !== CBOR_MEDIA_TYPE) {
      await res.body.dump()
      throw protocolError(what, `content type ${type || 'none'} instead of CBOR`)
    }
    const bytes = await collect(res, this.#maxMessageBytes, what)
    try {
      return decodeCbor(bytes)
    } catch (err) {
      throw protocolError(what, `malformed CBOR: ${(err as Error).message}`)
    }
  }

  async #readShare(
    kind: 'immutable' | 'mutable',
    si: Si,
    shareNumber: number,
    offset: number,
    length: number,
    options: CallOptions,
  ): Promise<Uint8Array> {
    const what = `read ${kind} share`
    if (length <= 0) return new Uint8Array(0)
    const res = await this.#request(
      what,
      {
        method: 'GET',
        path: `/storage/v1/${kind}/${siText(si)}/${shareNumber}`,
        headers: { ...this.#headers([]), range: formatRange(offset, length) },
      },
      options,
    )
    if (res.statusCode === 204) {
      await res.body.dump()
      return new Uint8Array(0)
    }
    if (res.statusCode !== 206) throw statusError(res.statusCode, what, await text(res))
    const type = String(res.headers['content-type'] ?? '')
    const span = parseContentRange(String(res.headers['content-range'] ?? ''))
    if (
      type !== OCTET_STREAM ||
      span === undefined ||
      span.start !== offset ||
      span.end - span.start > length
    ) {
      await res.body.dump()
      throw protocolError(what, 'a 206 answer without the asked Content-Range or octet-stream type')
    }
    const data = await collect(res, span.end - span.start, what)
    if (data.length !== span.end - span.start)
      throw protocolError(what, 'the body is shorter than its Content-Range')
    return data
  }

  async #adviseCorrupt(
    kind: 'immutable' | 'mutable',
    si: Si,
    shareNumber: number,
    reason: string,
    options: CallOptions,
  ) {
    const what = `advise corrupt ${kind} share`
    const headers = { ...this.#headers([]), 'content-type': CBOR_MEDIA_TYPE }
    const body = encodeCbor(new Map([['reason', reason]]))
    const res = await this.#request(
      what,
      { method: 'POST', path: `/storage/v1/${kind}/${siText(si)}/${shareNumber}/corrupt`, headers, body },
      options,
    )
    const said = await text(res)
    if (res.statusCode !== 200) throw statusError(res.statusCode, what, said)
  }
}

function siText(si: Si): string {
  return normalizeStorageIndex(si).text
}

function leaseHeaders(s: LeaseSecrets): Secret[] {
  return [
    ['lease-renew-secret', s.renewSecret],
    ['lease-cancel-secret', s.cancelSecret],
  ]
}

/** Reads a response body of at most `max` bytes into one buffer. */
async function collect(res: Dispatcher.ResponseData, max: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers['content-length'] ?? Number.NaN)
  if (declared > max) {
    await res.body.dump()
    throw protocolError(what, `an answer of ${declared} bytes, over ${max}`)
  }
  const out = Number.isSafeInteger(declared) ? Buffer.allocUnsafe(declared) : undefined
  const parts: Buffer[] = []
  let n = 0
  for await (const chunk of res.body) {
    const c = chunk as Buffer
    if (n + c.length > (out?.length ?? max)) {
      res.body.destroy()
      throw protocolError(what, 'the answer is longer than announced')
    }
    if (out !== undefined) out.set(c, n)
    else parts.push(c)
    n += c.length
  }
  return out !== undefined ? out.subarray(0, n) : Buffer.concat(parts)
}

async function text(res: Dispatcher.ResponseData): Promise<string> {
  try {
    return (await collect(res, 10_000, '')).toString()
  } catch {
    return ''
  }
}

function asMap(value: unknown, what: string): Map<unknown, unknown> {
  if (!(value instanceof Map)) throw protocolError(what, 'expected a map')
  return value
}

function byTextKey(m: Map<unknown, unknown>, key: string, what: string): unknown {
  for (const [k, v] of m) {
    const name = k instanceof Uint8Array ? Buffer.from(k).toString('utf8') : k
    if (name === key) return v
  }
  throw protocolError(what, `no ${key}`)
}

function toNumber(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  if (typeof value === 'bigint' && value >= 0n) return Number(value)
  throw protocolError(what, 'expected an unsigned integer')
}

function shareSet(value: unknown, what: string): number[] {
  const items = value instanceof Set ? [...value] : Array.isArray(value) ? value : undefined
  if (items === undefined) throw protocolError(what, 'expected a set of share numbers')
  return items.map((n) => toNumber(n, what)).sort((a, b) => a - b)
}
