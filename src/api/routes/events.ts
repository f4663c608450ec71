import type { ServerResponse } from 'node:http'
import type { CloudyNode, NodeEvents } from '../../node/types.ts'
import { NODE_EVENT_NAMES, type NodeEventName } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'
import { ERROR_RESPONSES } from '../schemas/fields.ts'
import { API_V1 } from './prefix.ts'

/** A client that reads slower than this many bytes behind is dropped (it reconnects and refetches). */
const MAX_BUFFERED_BYTES = 1024 * 1024

export interface EventRoutesInit {
  /** a comment line keeps proxies and browsers from closing an idle stream; default 15 s */
  heartbeatMs?: number
}

function subscribe<K extends NodeEventName>(
  node: CloudyNode,
  name: K,
  write: (text: string) => void,
): () => void {
  return node.events.on(name, (payload: NodeEvents[K]) =>
    write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`),
  )
}

/**
 * GET /api/v1/events: every node event as a server-sent event (`event: <name>`, `data: <JSON>`), with
 * a heartbeat comment. Listeners go when the client does; the server's close ends every stream.
 */
export function registerEventRoutes(
  app: ApiApp,
  { node }: { node: CloudyNode },
  init: EventRoutesInit = {},
): void {
  const heartbeatMs = init.heartbeatMs ?? 15_000
  const streams = new Set<ServerResponse>()

  app.addHook('preClose', async () => {
    for (const res of streams) res.end()
  })

  app.get(
    `${API_V1}/events`,
    {
      exposeHeadRoute: false,
      schema: {
        tags: ['events'],
        summary: 'Server-sent events: every node event as it happens',
        produces: ['text/event-stream'],
        response: ERROR_RESPONSES,
      },
    },
    (request, reply) => {
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      const write = (text: string) => {
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          request.log.warn('event stream client too slow: closing its stream')
          res.end()
          return
        }
        res.write(text)
      }
      const unsubscribers = NODE_EVENT_NAMES.map((name) => subscribe(node, name, write))
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs)
      streams.add(res)
      res.on('close', () => {
        clearInterval(heartbeat)
        for (const unsubscribe of unsubscribers) unsubscribe()
        streams.delete(res)
      })
      res.write('retry: 3000\n: connected\n\n')
    },
  )
}
