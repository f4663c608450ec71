import { z } from 'zod'
import { CloudyError } from '../../util/errors.ts'
import type { ApiApp } from '../api-app.ts'
import type { AuthStore } from '../auth-store.ts'
import { authOf } from '../authenticate.ts'
import type { LoginLimiter } from '../login-limiter.ts'
import { ERROR_RESPONSES, NoContent, printableText, ResourceId } from '../schemas/fields.ts'
import { CreatedTokenView, TokenView, UserView } from '../schemas/views.ts'
import { clearedSessionCookie, sessionCookie } from '../session-cookie.ts'
import { API_V1 } from './prefix.ts'

const LoginBody = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) })
  .strict()

const SessionView = z.object({
  user: UserView,
  csrfToken: z.string().describe('send it in the X-Cloudy-CSRF header on every change made with the cookie'),
})

const MeView = z.object({
  user: UserView,
  via: z.enum(['token', 'session']),
  csrfToken: z.string().optional().describe('present for a session'),
})

export function registerAuthRoutes(app: ApiApp, deps: { auth: AuthStore; limiter: LoginLimiter }): void {
  const { auth, limiter } = deps
  const tags = ['auth']

  app.post(
    `${API_V1}/auth/login`,
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Log in with a password; sets the session cookie',
        security: [],
        body: LoginBody,
        response: { 200: SessionView, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      limiter.check(request.ip)
      const user = await auth.checkPassword(request.body.username, request.body.password)
      if (user === undefined) {
        limiter.recordFailure(request.ip)
        request.log.warn({ ip: request.ip }, 'failed login')
        throw new CloudyError('UNAUTHORIZED', 'wrong username or password')
      }
      const session = auth.sessions.create(user)
      reply.header('set-cookie', sessionCookie(session.id, { secure: request.protocol === 'https' }))
      return { user, csrfToken: session.csrfToken }
    },
  )

  app.post(
    `${API_V1}/auth/logout`,
    {
      schema: { tags, summary: 'End the browser session', response: { 204: NoContent, ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      const who = authOf(request)
      if (who.via === 'session') auth.sessions.delete(who.session.id)
      reply.header('set-cookie', clearedSessionCookie()).code(204).send(null)
    },
  )

  app.get(
    `${API_V1}/auth/me`,
    { schema: { tags, summary: 'Who is logged in', response: { 200: MeView, ...ERROR_RESPONSES } } },
    async (request) => {
      const who = authOf(request)
      return who.via === 'session'
        ? { user: who.user, via: who.via, csrfToken: who.session.csrfToken }
        : { user: who.user, via: who.via }
    },
  )

  app.get(
    `${API_V1}/auth/tokens`,
    {
      schema: { tags, summary: 'List API tokens', response: { 200: z.array(TokenView), ...ERROR_RESPONSES } },
    },
    async () => auth.listTokens(),
  )

  app.post(
    `${API_V1}/auth/tokens`,
    {
      schema: {
        tags,
        summary: 'Create an API token; the answer holds it once',
        body: z.object({ name: printableText(64).min(1) }).strict(),
        response: { 201: CreatedTokenView, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => reply.code(201).send(await auth.createToken(request.body.name)),
  )

  app.delete(
    `${API_V1}/auth/tokens/:id`,
    {
      schema: {
        tags,
        summary: 'Revoke an API token',
        params: z.object({ id: ResourceId }),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await auth.revokeToken(request.params.id)
      reply.code(204).send(null)
    },
  )
}
