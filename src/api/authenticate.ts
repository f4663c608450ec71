import type { FastifyRequest } from 'fastify'
import { CloudyError } from '../util/errors.ts'
import type { ApiApp } from './api-app.ts'
import type { AuthStore } from './auth-store.ts'
import { safeEqual } from './secrets.ts'
import { readSessionCookie } from './session-cookie.ts'
import type { ApiUser, Session } from './session-store.ts'

/** The header a browser session must send, with its session's CSRF token, on every mutation. */
const CSRF_HEADER = 'x-cloudy-csrf'

export type AuthContext =
  | { via: 'token'; user: ApiUser; tokenId: string }
  | { via: 'session'; user: ApiUser; session: Session }

declare module 'fastify' {
  interface FastifyRequest {
    /** who sent the request; set on every route that is not public */
    auth: AuthContext | null
  }
  interface FastifyContextConfig {
    /** reachable without credentials (login, the OpenAPI document) */
    public?: boolean
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function fromBearer(header: string, auth: AuthStore): AuthContext {
  const match = /^Bearer +([^\s]+)$/i.exec(header)
  if (!match?.[1]) throw new CloudyError('UNAUTHORIZED', 'the Authorization header must be "Bearer <token>"')
  const found = auth.checkToken(match[1])
  if (found === undefined) throw new CloudyError('UNAUTHORIZED', 'unknown or revoked API token')
  return { via: 'token', user: found.user, tokenId: found.token.id }
}

function fromSession(request: FastifyRequest, sessionId: string, auth: AuthStore): AuthContext {
  const session = auth.sessions.get(sessionId)
  if (session === undefined) throw new CloudyError('UNAUTHORIZED', 'the session has ended: log in again')
  if (!SAFE_METHODS.has(request.method)) {
    const csrf = request.headers[CSRF_HEADER]
    if (typeof csrf !== 'string' || !safeEqual(csrf, session.csrfToken)) {
      throw new CloudyError(
        'FORBIDDEN',
        `a change made with a session cookie needs the ${CSRF_HEADER} header from login`,
      )
    }
  }
  return { via: 'session', user: session.user, session }
}

/**
 * Requires credentials on every route not marked public: an API token (`Authorization: Bearer`) or
 * a session cookie, which must come with the session's CSRF token on mutations. Unknown routes fall
 * through to the 404 handler.
 */
export function installAuthentication(app: ApiApp, auth: AuthStore): void {
  app.decorateRequest('auth', null)
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === undefined || request.routeOptions.config.public) return
    const header = request.headers.authorization
    if (header !== undefined) {
      request.auth = fromBearer(header, auth)
      return
    }
    const sessionId = readSessionCookie(request.headers.cookie)
    if (sessionId !== undefined) {
      request.auth = fromSession(request, sessionId, auth)
      return
    }
    throw new CloudyError('UNAUTHORIZED', 'log in, or send "Authorization: Bearer <token>"')
  })
}

/** The credentials of a request on a non-public route. */
export function authOf(request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new CloudyError('UNAUTHORIZED', 'not logged in')
  return request.auth
}
