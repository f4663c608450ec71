import { z } from 'zod'
import { NODE_EVENT_NAMES } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'
import type { EventLog } from '../event-log.ts'
import { ERROR_RESPONSES } from '../schemas/fields.ts'
import { TorrentRemovedView, TorrentView } from '../schemas/torrents.ts'
import { BuiltinServiceView, CloudInfoView, InviteView, MemberView, ServiceView } from '../schemas/views.ts'
import { API_V1 } from './prefix.ts'

const EventLogEntryView = z.object({
  seq: z.number().int().describe('grows by one per entry since the daemon started'),
  at: z.number().describe('ms since the Unix epoch'),
  event: z.enum(NODE_EVENT_NAMES),
  data: z
    .union([
      MemberView,
      ServiceView,
      CloudInfoView,
      InviteView,
      BuiltinServiceView,
      TorrentView,
      TorrentRemovedView,
      z.object({ id: z.string(), name: z.string() }),
      z.object({
        storageIndex: z.string(),
        shareNumber: z.number(),
        size: z.number().optional(),
        reason: z.string().optional(),
      }),
    ])
    .describe(
      'the payload, as on the event stream: a member, service, cloud, invite, built-in service, torrent or share view',
    ),
})

/** GET /api/v1/events/recent: the node's recent events from the event log, oldest first. */
export function registerRecentEventRoutes(app: ApiApp, { log }: { log: EventLog }): void {
  app.get(
    `${API_V1}/events/recent`,
    {
      schema: {
        tags: ['events'],
        summary: 'The recent membership, service, cloud and invite events of this node, oldest first',
        querystring: z.object({
          after: z.coerce.number().int().min(0).optional().describe('only entries with a larger seq'),
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .max(1000)
            .optional()
            .describe('at most this many, the newest'),
        }),
        response: { 200: z.array(EventLogEntryView), ...ERROR_RESPONSES },
      },
    },
    async (request) =>
      log.recent({
        ...(request.query.after !== undefined && { after: request.query.after }),
        ...(request.query.limit !== undefined && { limit: request.query.limit }),
      }),
  )
}
