import type {
  ApiToken,
  BuiltinService,
  CloudInfo,
  CreatedInvite,
  CreatedToken,
  Invite,
  ListenSettings,
  Member,
  NodeEvent,
  NodeStatus,
  PublishInput,
  Service,
  Session,
} from './types.ts'

const API = '/api/v1'

/** A failure of an API call, with the node's error code and a message meant for a person. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly code: string
  readonly status: number
  readonly retryAfterS: number | undefined

  constructor(code: string, status: number, message: string, retryAfterS?: number) {
    super(message)
    this.code = code
    this.status = status
    this.retryAfterS = retryAfterS
  }
}

/** The session's CSRF token, sent on every change (the session cookie itself is HttpOnly). */
let csrfToken: string | undefined
/** Called when the node answers 401: the session ended (timeout, logout elsewhere, restart). */
let onSessionEnded: (() => void) | undefined

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token
}

export function setSessionEndedHandler(handler: () => void): void {
  onSessionEnded = handler
}

/** The message of any error, in words for the page: never a stack trace. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return sentence(err.message)
  return 'Something went wrong in the dashboard. Reload the page; if it happens again, the browser console has details.'
}

function sentence(text: string): string {
  const trimmed = text.trim()
  if (trimmed.length === 0) return 'The node refused the request.'
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
  return /[.!?]$/.test(first) ? first : `${first}.`
}

async function failure(res: Response): Promise<ApiError> {
  const retryAfter = Number(res.headers.get('retry-after'))
  const retryAfterS = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined
  let body: { error?: { code?: string; message?: string } } | undefined
  try {
    body = await res.json()
  } catch {
    body = undefined
  }
  const code = body?.error?.code ?? `HTTP_${res.status}`
  let message = body?.error?.message ?? `the node answered ${res.status} ${res.statusText}`
  if (res.status >= 500 && code === 'INTERNAL') {
    message = 'the node failed to do this; its log has the details'
  }
  if (code === 'RATE_LIMITED' && retryAfterS !== undefined) {
    message = `too many attempts; try again in ${retryAfterS} s`
  }
  return new ApiError(code, res.status, message, retryAfterS)
}

/** Calls the API with the session cookie; changes carry the CSRF header. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrfToken !== undefined) headers['x-cloudy-csrf'] = csrfToken
  let res: Response
  try {
    res = await fetch(`${API}${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
  } catch {
    throw new ApiError(
      'UNREACHABLE',
      0,
      'cannot reach the Cloudy node; check that its daemon is running (`cloudy status`)',
    )
  }
  if (!res.ok) {
    const err = await failure(res)
    if (res.status === 401 && path !== '/auth/login') onSessionEnded?.()
    throw err
  }
  if (res.status === 204) return undefined as T
  return (await res.json()) as T
}

/**
 * The session's CSRF header, for a change that cannot go through request(): an upload with progress
 * (XMLHttpRequest) or a body that is not JSON.
 */
export function csrfHeaders(): Record<string, string> {
  return csrfToken === undefined ? {} : { 'x-cloudy-csrf': csrfToken }
}

/** The ApiError an answer that is not ok stands for, for calls made without request(). */
export async function responseError(res: Response): Promise<ApiError> {
  const err = await failure(res)
  if (res.status === 401) onSessionEnded?.()
  return err
}

const enc = encodeURIComponent

/** Every API call the dashboard makes, in one place. */
export const api = {
  login: (username: string, password: string) =>
    request<Session>('POST', '/auth/login', { username, password }),
  logout: () => request<void>('POST', '/auth/logout'),
  me: () =>
    request<{ user: Session['user']; via: 'token' | 'session'; csrfToken?: string }>('GET', '/auth/me'),

  status: () => request<NodeStatus>('GET', '/status'),
  nodes: () => request<Member[]>('GET', '/nodes'),
  rename: (name: string) => request<NodeStatus>('PUT', '/node', { name }),
  listenSettings: () => request<ListenSettings>('GET', '/node/settings'),
  saveListenHost: (host: string) => request<ListenSettings>('PUT', '/node/settings', { host }),

  createCloud: (name: string) => request<CloudInfo>('POST', '/cloud', { name }),
  joinCloud: (invite: string) => request<CloudInfo>('POST', '/cloud/join', { invite }),

  services: () => request<Service[]>('GET', '/services'),
  publish: (input: PublishInput) => request<Service>('POST', '/services', input),
  unpublish: (type: string, port: number) => request<void>('DELETE', `/services/${enc(type)}/${port}`),
  scan: (type?: string) => request<Service[]>('POST', '/services/scan', type === undefined ? {} : { type }),

  builtins: () => request<BuiltinService[]>('GET', '/builtin-services'),
  enableBuiltin: (name: string, options: Record<string, unknown>) =>
    request<BuiltinService>('PUT', `/builtin-services/${enc(name)}`, { options }),
  disableBuiltin: (name: string) => request<BuiltinService>('DELETE', `/builtin-services/${enc(name)}`),

  invites: () => request<Invite[]>('GET', '/invites'),
  createInvite: (expires: string) => request<CreatedInvite>('POST', '/invites', { expires }),
  revokeInvite: (id: string) => request<Invite>('DELETE', `/invites/${enc(id)}`),

  tokens: () => request<ApiToken[]>('GET', '/auth/tokens'),
  createToken: (name: string) => request<CreatedToken>('POST', '/auth/tokens', { name }),
  revokeToken: (id: string) => request<void>('DELETE', `/auth/tokens/${enc(id)}`),

  recentEvents: () => request<(NodeEvent & { seq: number })[]>('GET', '/events/recent'),
}

/** The event stream's URL: EventSource sends the session cookie; no token ever goes in a URL. */
export const EVENTS_URL = `${API}/events`
