import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { PublishInput, SearchQuery, ServiceView } from '../catalogue/types.ts'
import type { MemberView } from '../membership/types.ts'
import { type DataDir, lockOwner } from '../node/data-dir.ts'
import type { BuiltinServiceView, CloudInfo, CreatedInvite, InviteView, NodeStatus } from '../node/types.ts'
import { readJsonIfExists } from '../util/atomic-file.ts'
import { CloudyError, isErrorCode } from '../util/errors.ts'

/** daemon.json, written by a running daemon: where its API listens. */
const DaemonFileSchema = z.object({ apiUrl: z.url(), pid: z.number().int().positive() })

const DEFAULT_TIMEOUT_MS = 30_000
/** longer than the daemon's own bound on a join handshake (JOIN_DEFAULTS.timeoutMs, 30 s) */
const JOIN_TIMEOUT_MS = 45_000
/** a scan connects to every service found */
const SCAN_TIMEOUT_MS = 120_000

/** The running daemon of a data directory, through its HTTP API (docs/api.md). */
export interface ApiClient {
  readonly apiUrl: string
  readonly pid: number
  status(): Promise<NodeStatus>
  members(): Promise<MemberView[]>
  setName(name: string): Promise<NodeStatus>
  createCloud(name: string, force?: boolean): Promise<CloudInfo>
  joinCloud(invite: string, force?: boolean): Promise<CloudInfo>
  leaveCloud(): Promise<void>
  createInvite(expires?: string): Promise<CreatedInvite>
  listInvites(): Promise<InviteView[]>
  revokeInvite(id: string): Promise<InviteView>
  publish(input: PublishInput): Promise<ServiceView>
  unpublish(type: string, port: number): Promise<void>
  search(query: SearchQuery): Promise<ServiceView[]>
  scan(query: SearchQuery): Promise<ServiceView[]>
  builtinServices(): Promise<BuiltinServiceView[]>
  enableBuiltinService(name: string, options?: Record<string, unknown>): Promise<BuiltinServiceView>
  disableBuiltinService(name: string): Promise<BuiltinServiceView>
  /** any other route under /api/v1 (the command groups of later services use it) */
  request<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T>
  /** a request with a byte-stream body and answer (file uploads and downloads) */
  stream(
    method: string,
    path: string,
    init?: { body?: ReadableStream<Uint8Array>; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Response>
}

function daemonNotRunning(dataDir: DataDir): CloudyError {
  return new CloudyError(
    'DAEMON_NOT_RUNNING',
    `no Cloudy daemon runs on ${dataDir.root}: start one with \`cloudy start --data-dir ${dataDir.root}\``,
  )
}

async function readDaemonFile(dataDir: DataDir): Promise<z.infer<typeof DaemonFileSchema>> {
  const owner = await lockOwner(dataDir)
  const raw = await readJsonIfExists(dataDir.daemon)
  if (owner === undefined) throw daemonNotRunning(dataDir)
  if (raw === undefined) {
    throw new CloudyError(
      'UNAVAILABLE',
      `the daemon (pid ${owner}) on ${dataDir.root} is starting: try again shortly`,
    )
  }
  const parsed = DaemonFileSchema.safeParse(raw)
  if (!parsed.success) throw new CloudyError('UNAVAILABLE', `${dataDir.daemon} is not a valid daemon file`)
  return parsed.data
}

async function readToken(dataDir: DataDir): Promise<string> {
  const token = (await readFile(dataDir.cliToken, 'utf8').catch(() => '')).trim()
  if (token === '') {
    throw new CloudyError(
      'UNAUTHORIZED',
      `no CLI token in ${dataDir.cliToken}: run \`cloudy init --data-dir ${dataDir.root}\` and restart the daemon`,
    )
  }
  return token
}

function connectionError(err: unknown, apiUrl: string, timeoutMs: number, dataDir: DataDir): CloudyError {
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new CloudyError(
      'UNAVAILABLE',
      `the daemon at ${apiUrl} did not answer within ${timeoutMs / 1000} s`,
    )
  }
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } }).cause
  const code = cause?.code ?? cause?.errors?.[0]?.code
  if (code === 'ECONNREFUSED') return daemonNotRunning(dataDir)
  return new CloudyError('UNAVAILABLE', `cannot reach the daemon at ${apiUrl}: ${code ?? String(err)}`, {
    cause: err,
  })
}

function responseError(status: number, payload: unknown): CloudyError {
  const error = (payload as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
  if (isErrorCode(error?.code) && typeof error.message === 'string') {
    return new CloudyError(error.code, error.message)
  }
  return new CloudyError('INTERNAL', `the daemon answered with HTTP ${status}`)
}

/**
 * Connects to the daemon of a data directory, found by its lock and daemon.json, with the CLI's
 * token. DAEMON_NOT_RUNNING when none runs there (or it refuses connections).
 */
export async function connectApi(dataDir: DataDir): Promise<ApiClient> {
  const { apiUrl, pid } = await readDaemonFile(dataDir)
  const token = await readToken(dataDir)

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<T> {
    let res: Response
    try {
      res = await fetch(new URL(`/api/v1${path}`, apiUrl), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      throw connectionError(err, apiUrl, timeoutMs, dataDir)
    }
    if (res.status === 204) return undefined as T
    const payload: unknown = await res.json().catch(() => undefined)
    if (!res.ok) throw responseError(res.status, payload)
    return payload as T
  }

  /** A request whose body and answer are streams of bytes (files); errors as for `call`. */
  async function stream(
    method: string,
    path: string,
    init: { body?: ReadableStream<Uint8Array>; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    let res: Response
    try {
      res = await fetch(new URL(`/api/v1${path}`, apiUrl), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.body !== undefined && { 'content-type': 'application/octet-stream' }),
          ...init.headers,
        },
        ...(init.body !== undefined && { body: init.body, duplex: 'half' }),
        ...(init.signal !== undefined && { signal: init.signal }),
      } as RequestInit)
    } catch (err) {
      throw connectionError(err, apiUrl, 0, dataDir)
    }
    if (!res.ok) throw responseError(res.status, await res.json().catch(() => undefined))
    return res
  }

  const queryOf = (q: SearchQuery) => {
    const params = new URLSearchParams()
    if (q.type !== undefined) params.set('type', q.type)
    if (q.host !== undefined) params.set('host', q.host)
    for (const [k, v] of Object.entries(q.txt ?? {})) params.append('txt', `${k}=${v}`)
    const text = params.toString()
    return text === '' ? '' : `?${text}`
  }
  const segment = encodeURIComponent

  return {
    apiUrl,
    pid,
    status: () => call('GET', '/status'),
    members: () => call('GET', '/nodes'),
    setName: (name) => call('PUT', '/node', { name }),
    createCloud: (name, force) => call('POST', '/cloud', { name, ...(force && { force }) }),
    joinCloud: (invite, force) =>
      call('POST', '/cloud/join', { invite, ...(force && { force }) }, JOIN_TIMEOUT_MS),
    leaveCloud: () => call('DELETE', '/cloud'),
    createInvite: (expires) => call('POST', '/invites', expires === undefined ? {} : { expires }),
    listInvites: () => call('GET', '/invites'),
    revokeInvite: (id) => call('DELETE', `/invites/${segment(id)}`),
    publish: (input) => call('POST', '/services', input),
    unpublish: (type, port) => call('DELETE', `/services/${segment(type)}/${port}`),
    search: (query) => call('GET', `/services${queryOf(query)}`),
    scan: (query) => call('POST', '/services/scan', query, SCAN_TIMEOUT_MS),
    builtinServices: () => call('GET', '/builtin-services'),
    enableBuiltinService: (name, options) =>
      call('PUT', `/builtin-services/${segment(name)}`, options === undefined ? {} : { options }),
    disableBuiltinService: (name) => call('DELETE', `/builtin-services/${segment(name)}`),
    request: (method, path, body, timeoutMs) => call(method, path, body, timeoutMs),
    stream,
  }
}
