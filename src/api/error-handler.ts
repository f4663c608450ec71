import type { FastifyError, FastifyReply } from 'fastify'
import { CloudyError, ERROR_CODES, type ErrorCode, isCloudyError } from '../util/errors.ts'
import type { ApiApp } from './api-app.ts'

/** fastify's own 4xx errors (bad JSON, too large, wrong media type, ...) by status */
const CODE_FOR_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
}

function fromFastify(err: FastifyError): CloudyError | undefined {
  const status = err.statusCode
  if (!err.code?.startsWith('FST_') || status === undefined || status < 400 || status >= 500) return undefined
  return new CloudyError(CODE_FOR_STATUS[status] ?? 'INVALID_INPUT', err.message)
}

function sendError(reply: FastifyReply, error: CloudyError): void {
  const retryAfterS = error.details?.retryAfterS
  if (typeof retryAfterS === 'number') reply.header('retry-after', String(retryAfterS))
  if (error.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="cloudy"')
  reply.code(ERROR_CODES[error.code].status).send({ error: { code: error.code, message: error.message } })
}

/**
 * The one place where failures become HTTP responses: `{ error: { code, message } }` with the status
 * of the code (src/util/errors.ts). An unexpected error is logged and answered with a generic 500.
 */
export function installErrorHandling(app: ApiApp): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = isCloudyError(err) ? err : fromFastify(err)
    if (known === undefined) {
      request.log.error({ err }, 'request failed')
      sendError(reply, new CloudyError('INTERNAL', 'internal error; the daemon log has the details'))
      return
    }
    const level = ERROR_CODES[known.code].status >= 500 ? 'error' : 'debug'
    request.log[level]({ code: known.code, reason: known.message }, 'request refused')
    sendError(reply, known)
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]
    sendError(reply, new CloudyError('NOT_FOUND', `no route ${request.method} ${path}`))
  })
}
