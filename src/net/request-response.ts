import type { Stream } from '@libp2p/interface'
import { z } from 'zod'
import { CloudyError, isCloudyError, isErrorCode } from '../util/errors.ts'
import type { Logger } from '../util/logger.ts'
import { type JsonFrameStream, jsonFrameStream } from './json-frame.ts'
import type { Message, RequestHandler } from './types.ts'

/**
 * The one request/response exchange used by every Cloudy protocol (docs/overlay.md): one stream per
 * request, one JSON frame each way.
 *
 *   request frame:  {"msg": {...}, "reply": true|false}
 *   response frame: {"ok": {...}}  or  {"error": {"code": "...", "message": "..."}}
 *
 * With `"reply": false` (a one-way send) the server writes no response and closes its end.
 */

const messageSchema = z.record(z.string(), z.unknown())
const requestFrameSchema = z.object({ msg: messageSchema, reply: z.boolean() })
const responseFrameSchema = z.union([
  z.object({ ok: messageSchema }),
  z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
])

export interface SendRequestOptions {
  signal: AbortSignal
  /** false for a one-way message: resolves once the frame is written */
  reply: boolean
}

/**
 * Writes one request on an open stream and, when `reply` is set, reads the one response. A response
 * carrying an error rejects with a CloudyError of the remote's code and message (unknown codes become
 * INTERNAL) and `details.remote = true`. Transport failures reject with the underlying error.
 * The stream is closed on success and aborted on failure.
 */
export async function sendRequest(
  stream: Stream,
  msg: Message,
  options: SendRequestOptions,
): Promise<Message> {
  const frames = jsonFrameStream(stream)
  const { signal } = options
  let response: unknown
  try {
    await frames.write({ msg, reply: options.reply }, { signal })
    if (options.reply) response = await readResponse(frames, signal)
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
  return options.reply ? interpretResponse(response, stream.protocol) : {}
}

function interpretResponse(response: unknown, protocol: string): Message {
  const parsed = responseFrameSchema.safeParse(response)
  if (!parsed.success) {
    throw new CloudyError('INTERNAL', `the peer answered ${protocol} with a malformed response frame`)
  }
  if ('error' in parsed.data) {
    const { code, message } = parsed.data.error
    throw new CloudyError(isErrorCode(code) ? code : 'INTERNAL', message, {
      details: { remote: true, remoteCode: code, protocol },
    })
  }
  return parsed.data.ok
}

async function readResponse(frames: JsonFrameStream, signal: AbortSignal): Promise<unknown> {
  try {
    return await frames.read({ signal })
  } catch (err) {
    if ((err as Error).name === 'UnexpectedEOFError') {
      throw new CloudyError('UNAVAILABLE', 'the peer closed the stream without answering', { cause: err })
    }
    throw err
  }
}

export interface ServeRequestOptions {
  /** the remote peer id, passed to the handler */
  from: string
  log: Logger
  /** how long the requester may take to send its frame, and the bound on writing the answer */
  readTimeoutMs: number
  /** largest request frame accepted; default MAX_FRAME_BYTES (responses may always use MAX_FRAME_BYTES) */
  maxRequestBytes?: number
}

/**
 * Serves one request on an inbound stream: reads the request frame, runs the handler, writes the
 * response (unless one-way) and closes. A CloudyError (from the handler, or a refused frame) reaches
 * the requester with its code and message; any other handler error is logged here at warn and
 * reported as INTERNAL without its details. Stream failures (a requester that gave up) are logged at
 * debug and abort the stream. Never throws.
 */
export async function serveRequest(
  stream: Stream,
  handler: RequestHandler,
  options: ServeRequestOptions,
): Promise<void> {
  const frames = jsonFrameStream(stream, options.maxRequestBytes)
  const fields = { protocol: stream.protocol, peer: options.from }
  const bounded = () => ({ signal: AbortSignal.timeout(options.readTimeoutMs) })
  let reply = true
  let inHandler = false
  try {
    const request = requestFrameSchema.safeParse(await frames.read(bounded()))
    if (!request.success) {
      throw new CloudyError('INVALID_INPUT', `malformed request frame on ${stream.protocol}`)
    }
    reply = request.data.reply
    inHandler = true
    const result = await handler(request.data.msg, options.from)
    inHandler = false
    if (reply) await frames.write({ ok: result ?? {} }, bounded())
    await stream.close(bounded())
  } catch (err) {
    if (isCloudyError(err)) {
      options.log.debug({ ...fields, code: err.code, reason: err.message }, 'request refused')
      await answerError(stream, frames, reply, err.code, err.message, options.readTimeoutMs)
    } else if (inHandler) {
      options.log.warn({ ...fields, err }, 'request handler failed')
      const message = `internal error while handling ${stream.protocol}`
      await answerError(stream, frames, reply, 'INTERNAL', message, options.readTimeoutMs)
    } else {
      options.log.debug({ ...fields, reason: (err as Error).message }, 'request stream failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

async function answerError(
  stream: Stream,
  frames: JsonFrameStream,
  reply: boolean,
  code: string,
  message: string,
  timeoutMs: number,
): Promise<void> {
  if (!reply || stream.writeStatus !== 'writable') {
    stream.abort(new Error(message))
    return
  }
  try {
    const signal = AbortSignal.timeout(timeoutMs)
    await frames.write({ error: { code, message } }, { signal })
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}
