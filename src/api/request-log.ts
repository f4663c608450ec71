import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'

/**
 * One line per request, at debug level: method, route pattern, status and time. Never the URL (its
 * query could hold anything), headers (tokens, cookies) or bodies (passwords, invite codes).
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    }
    if (error) reply.log.error({ ...fields, err: error }, 'request failed')
    else reply.log.debug(fields, 'request')
  }
}
