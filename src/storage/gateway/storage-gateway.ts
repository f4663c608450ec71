import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { Logger } from '../../util/logger.ts'
import { type ChkCap, chkVerifyCapOf } from '../caps/chk-cap.ts'
import { type ChkVerifyCap, formatChkVerifyCap } from '../caps/chk-verify-cap.ts'
import type { LitCap } from '../caps/lit-cap.ts'
import { type Cap, parseCap } from '../caps/parse-cap.ts'
import { StorageClient } from '../client/storage-client.ts'
import { type ChkDecodeProgress, decodeChk } from '../immutable/chk-decoder.ts'
import { type ChkEncodeProgress, encodeChk } from '../immutable/chk-encoder.ts'
import { verifyChkShare } from '../immutable/chk-share-verifier.ts'
import type { PlaintextSource } from '../immutable/share-io.ts'
import type { ShareProblem } from '../immutable/share-problem.ts'
import { parseNurl } from '../server/nurl.ts'
import { storageError } from '../util/storage-error.ts'
import type { StorageServerInfo } from './server-selection.ts'
import { ServerShareSink } from './server-share-sink.ts'
import { locateShares, shareSources } from './server-share-sources.ts'
import { spoolUpload } from './upload-spool.ts'

/** k, happy, N and the maximum segment size of new uploads (a cloud-wide setting). */
export interface EncodingParams {
  needed: number
  happy: number
  total: number
  maxSegmentSize: number
}

/** how long a server that failed a request is asked last by uploads */
const FAILURE_MEMORY_MS = 5 * 60_000

export const DEFAULT_ENCODING: EncodingParams = {
  needed: 3,
  happy: 7,
  total: 10,
  maxSegmentSize: 1024 * 1024,
}

export interface StorageGatewayInit {
  /** 16 bytes; the same file uploaded with the same secret gets the same cap (convergence) */
  convergenceSecret: Uint8Array
  /** 32 bytes; leases on every server are derived from it (docs/storage-gateway.md) */
  leaseSecret: Uint8Array
  encoding?: Partial<EncodingParams>
  /** where uploads that arrive as a stream are spooled, encrypted (upload-spool.ts) */
  spoolDir?: string
  /** downloads treat servers answering this close in time as equally fast (server-share-sources.ts) */
  latencyBandMs?: number
}

export interface StorageGatewayComponents {
  /** the storage servers of the cloud right now */
  servers: () => StorageServerInfo[]
  logger: Logger
}

export interface PutOptions {
  signal?: AbortSignal
  onProgress?: (event: ChkEncodeProgress) => void
}

export interface PutResult {
  cap: string
  size: number
  /** share number → name of the server holding it (empty for a LIT cap, which holds the data itself) */
  placement: Record<number, string>
}

export interface GetOptions {
  range?: { offset: number; length?: number }
  signal?: AbortSignal
  onProgress?: (event: ChkDecodeProgress) => void
}

export interface ServerShares {
  id: string
  name: string
  shares: number[]
}

export interface CheckResult {
  /** the verify cap (safe to show: it reads nothing) */
  verifyCap: string
  needed: number
  total: number
  /** distinct shares found on reachable servers */
  sharesFound: number
  servers: ServerShares[]
  /** servers that did not answer */
  unreachable: string[]
  /** every share is present */
  healthy: boolean
  /** at least k distinct good shares: the file can be read */
  recoverable: boolean
  /** shares that failed verification (verify only) */
  corrupt: ShareProblemView[]
}

export interface ShareProblemView extends Omit<ShareProblem, 'name'> {
  server: string
}

/** A storage server of the cloud as people may see it: where it is, never its NURL. */
export interface StorageServerSummary {
  /** the Cloudy node's peer id */
  id: string
  name: string
  /** from its NURL; null when the NURL it announces does not parse */
  host: string | null
  port: number | null
}

/** A storage server's health as this gateway sees it: the answer to a `version` query. */
export interface StorageServerStatus extends StorageServerSummary {
  reachable: boolean
  /** time of the version query, connection included when none was open */
  latencyMs: number | null
  /** bytes the server will accept now */
  availableSpace: number | null
  applicationVersion: string | null
  /** why it did not answer, in words (never its NURL) */
  error?: string
}

export interface ServerStatusOptions {
  /** per server (default 5 s) */
  timeoutMs?: number
  signal?: AbortSignal
}

type ImmutableCap = Exclude<Cap, { kind: 'lit' }>

/**
 * The storage gateway of a node: uploads files as Tahoe-LAFS CHK shares to the cloud's storage
 * servers, downloads and verifies them, and checks where a file's shares are. It keeps one
 * connection pool per server. Storage servers see only ciphertext.
 */
export class StorageGateway {
  readonly #init: StorageGatewayInit
  readonly #c: StorageGatewayComponents
  readonly #encoding: EncodingParams
  readonly #clients = new Map<string, { nurl: string; client: StorageClient }>()
  /** server id → when it last failed a request of this gateway */
  readonly #failedAt = new Map<string, number>()

  constructor(init: StorageGatewayInit, components: StorageGatewayComponents) {
    this.#init = init
    this.#c = components
    this.#encoding = { ...DEFAULT_ENCODING, ...init.encoding }
  }

  get encoding(): EncodingParams {
    return { ...this.#encoding }
  }

  async put(source: PlaintextSource, options: PutOptions = {}): Promise<PutResult> {
    const servers = this.#c.servers()
    const names = new Map(servers.map((s) => [s.id, s.name]))
    const sink = new ServerShareSink(
      { servers, leaseSecret: this.#init.leaseSecret, avoid: this.#recentlyFailed() },
      {
        client: (server) => this.#client(server),
        onServerFailed: (server, err) => {
          this.#failed(server)
          this.#c.logger.warn(
            { server: server.name, err: err.message },
            'storage server failed during an upload',
          )
        },
      },
    )
    try {
      const result = await encodeChk(source, sink, {
        convergenceSecret: this.#init.convergenceSecret,
        needed: this.#encoding.needed,
        happy: this.#encoding.happy,
        total: this.#encoding.total,
        maxSegmentSize: this.#encoding.maxSegmentSize,
        ...(options.signal && { signal: options.signal }),
        ...(options.onProgress && { onProgress: options.onProgress }),
      })
      const placement: Record<number, string> = {}
      for (const [shnum, id] of sink.placement) placement[shnum] = names.get(id) ?? id
      return { cap: result.capString, size: result.size, placement }
    } catch (err) {
      await sink.abort()
      throw err
    }
  }

  /** Uploads a body that can be read only once (an HTTP request) by spooling it first. */
  async putStream(body: Readable, options: PutOptions & { maxBytes?: number } = {}): Promise<PutResult> {
    const dir = this.#init.spoolDir ?? join(tmpdir(), 'cloudy-spool')
    const spool = await spoolUpload(body, dir, options)
    try {
      return await this.put(spool, options)
    } finally {
      await spool.dispose()
    }
  }

  /** The size of the file a read cap names (known from the cap alone). */
  sizeOf(capText: string): number {
    const cap = this.#readable(capText)
    return cap.kind === 'lit' ? cap.data.length : cap.size
  }

  /**
   * The plaintext of `capText` (or of a byte range), streamed: every byte verified before it is
   * yielded. Corrupt shares are reported to their servers and replaced by others.
   */
  async get(
    capText: string,
    options: GetOptions = {},
  ): Promise<{ size: number; body: AsyncIterable<Uint8Array> }> {
    const cap = this.#readable(capText)
    if (cap.kind === 'lit') {
      const { offset = 0, length } = options.range ?? {}
      const data = cap.data.subarray(offset, length === undefined ? undefined : offset + length)
      return {
        size: cap.data.length,
        body: (async function* () {
          yield data
        })(),
      }
    }
    const { storageIndex } = cap
    const servers = this.#c.servers()
    const located = await locateShares(storageIndex, servers, (s) => this.#client(s), {
      ...(options.signal && { signal: options.signal }),
      ...(this.#init.latencyBandMs !== undefined && { latencyBandMs: this.#init.latencyBandMs }),
      onError: (server) => this.#failed(server),
    })
    // fail before any byte is promised when the file cannot be read at all
    const found = new Set(located.flatMap((l) => l.shnums)).size
    if (found < cap.needed) {
      throw storageError(
        'NOT_ENOUGH_SHARES',
        `only ${found} of the ${cap.needed} shares this file needs were found on the ${servers.length} storage servers reachable now`,
        { found, needed: cap.needed, servers: servers.length },
      )
    }
    const byId = new Map(servers.map((s) => [s.id, s]))
    const body = decodeChk(
      cap,
      shareSources(storageIndex, located, (s) => this.#client(s)),
      {
        ...(options.range && { range: options.range }),
        ...(options.signal && { signal: options.signal }),
        onProgress: (event) => {
          if (event.type === 'share:rejected') this.#reportCorrupt(storageIndex, event, byId)
          options.onProgress?.(event)
        },
      },
    )
    return { size: cap.size, body }
  }

  /** Which servers hold which shares of the file (no share is read). */
  async check(capText: string, options: { signal?: AbortSignal } = {}): Promise<CheckResult> {
    return this.#survey(this.#immutable(capText), false, options)
  }

  /** As check, and every share found is fetched and hash-checked in full. */
  async verify(capText: string, options: { signal?: AbortSignal } = {}): Promise<CheckResult> {
    return this.#survey(this.#immutable(capText), true, options)
  }

  /** The storage servers of the cloud right now (from the catalogue), without their NURLs. */
  servers(): StorageServerSummary[] {
    return this.#c.servers().map(summaryOf)
  }

  /**
   * Asks every storage server of the cloud, in parallel, for its version through the pinned client
   * uploads use: reachable or not, how fast, how much space it offers. A server that does not answer
   * within `timeoutMs` counts as unreachable.
   */
  async serverStatus(options: ServerStatusOptions = {}): Promise<StorageServerStatus[]> {
    const timeoutMs = options.timeoutMs ?? 5000
    return Promise.all(
      this.#c.servers().map(async (server): Promise<StorageServerStatus> => {
        const summary = summaryOf(server)
        const timeout = AbortSignal.timeout(timeoutMs)
        const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
        const started = performance.now()
        try {
          const version = await this.#client(server).version({ signal })
          return {
            ...summary,
            reachable: true,
            latencyMs: performance.now() - started,
            availableSpace: version.availableSpace,
            applicationVersion: version.applicationVersion,
          }
        } catch (err) {
          options.signal?.throwIfAborted()
          const error = timeout.aborted
            ? `no answer within ${timeoutMs / 1000} s`
            : err instanceof Error
              ? err.message
              : String(err)
          return {
            ...summary,
            reachable: false,
            latencyMs: null,
            availableSpace: null,
            applicationVersion: null,
            error,
          }
        }
      }),
    )
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map(({ client }) => client.close()))
    this.#clients.clear()
  }

  #readable(capText: string): ChkCap | LitCap {
    const cap = parseCap(capText)
    if (cap.kind === 'chk-verifier') {
      throw storageError(
        'INVALID_CAP',
        'a verify cap can check a file but not read it: give its read cap (URI:CHK:)',
      )
    }
    return cap
  }

  #immutable(capText: string): ImmutableCap {
    const cap = parseCap(capText)
    if (cap.kind === 'lit') {
      throw storageError('INVALID_CAP', 'a LIT cap holds its data itself: it has no shares to check')
    }
    return cap
  }

  async #survey(
    cap: ChkCap | ChkVerifyCap,
    verify: boolean,
    options: { signal?: AbortSignal },
  ): Promise<CheckResult> {
    const { storageIndex } = cap
    const servers = this.#c.servers()
    const unreachable: string[] = []
    const located = await locateShares(storageIndex, servers, (s) => this.#client(s), {
      ...(options.signal && { signal: options.signal }),
      onError: (server) => {
        this.#failed(server)
        unreachable.push(server.name)
      },
    })
    const corrupt: ShareProblemView[] = []
    const good = new Set<number>()
    const byId = new Map(servers.map((s) => [s.id, s]))
    for (const { server, shnums } of located) {
      for (const shnum of shnums) {
        if (!verify) {
          good.add(shnum)
          continue
        }
        const [source] = shareSources(storageIndex, [{ server, shnums: [shnum], ms: 0 }], (s) =>
          this.#client(s),
        )
        const result = await verifyChkShare(cap, source as NonNullable<typeof source>, options)
        if (result.ok) good.add(shnum)
        else if (result.problem) {
          corrupt.push(problemView(result.problem, server.name))
          this.#reportCorrupt(storageIndex, result.problem, byId)
        }
      }
    }
    const verifyCap = formatChkVerifyCap(cap.kind === 'chk' ? chkVerifyCapOf(cap) : cap)
    return {
      verifyCap,
      needed: cap.needed,
      total: cap.total,
      sharesFound: good.size,
      servers: located.map(({ server, shnums }) => ({ id: server.id, name: server.name, shares: shnums })),
      unreachable,
      healthy: good.size >= cap.total,
      recoverable: good.size >= cap.needed,
      corrupt,
    }
  }

  #reportCorrupt(
    storageIndex: Uint8Array,
    problem: ShareProblem,
    byId: Map<string, StorageServerInfo>,
  ): void {
    const server = problem.name === undefined ? undefined : byId.get(problem.name)
    this.#c.logger.warn(
      { server: server?.name, shnum: problem.shnum, stage: problem.stage, reason: problem.message },
      'a share failed verification',
    )
    if (server !== undefined && problem.stage === 'read') this.#failed(server)
    if (server === undefined || problem.stage === 'read') return
    void this.#client(server)
      .adviseCorruptImmutableShare(storageIndex, problem.shnum, `${problem.stage}: ${problem.message}`)
      .catch(() => {})
  }

  #failed(server: StorageServerInfo): void {
    this.#failedAt.set(server.id, Date.now())
  }

  /** servers that failed within FAILURE_MEMORY_MS: uploads ask them last */
  #recentlyFailed(): Set<string> {
    const since = Date.now() - FAILURE_MEMORY_MS
    for (const [id, at] of this.#failedAt) if (at < since) this.#failedAt.delete(id)
    return new Set(this.#failedAt.keys())
  }

  #client(server: StorageServerInfo): StorageClient {
    const known = this.#clients.get(server.id)
    if (known && known.nurl === server.nurl) return known.client
    if (known) void known.client.close().catch(() => {})
    // a stalled server is given up after 20 s (between chunks), so a download falls over to another
    const client = new StorageClient({ nurl: server.nurl, timeoutMs: 20_000 })
    this.#clients.set(server.id, { nurl: server.nurl, client })
    return client
  }
}

function summaryOf(server: StorageServerInfo): StorageServerSummary {
  let host: string | null = null
  let port: number | null = null
  try {
    ;({ host, port } = parseNurl(server.nurl))
  } catch {
    // the version query says why
  }
  return { id: server.id, name: server.name, host, port }
}

function problemView(problem: ShareProblem, server: string): ShareProblemView {
  const { name: _name, ...rest } = problem
  return { ...rest, server }
}
