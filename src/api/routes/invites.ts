import { z } from 'zod'
import type { CloudyNode } from '../../node/types.ts'
import { parseDuration } from '../../util/duration.ts'
import { CloudyError } from '../../util/errors.ts'
import type { ApiApp } from '../api-app.ts'
import { ERROR_RESPONSES, ResourceId } from '../schemas/fields.ts'
import { CreatedInviteView, InviteView } from '../schemas/views.ts'
import { API_V1 } from './prefix.ts'

const DEFAULT_INVITE_EXPIRY = '24h'
const MAX_INVITE_MS = 30 * 86_400_000

const CreateInviteBody = z
  .object({
    expires: z
      .string()
      .max(32)
      .default(DEFAULT_INVITE_EXPIRY)
      .describe('how long the invite stays valid, e.g. "30m", "24h", "7d"; at most 30d'),
  })
  .strict()
  .default({ expires: DEFAULT_INVITE_EXPIRY })

export function registerInviteRoutes(app: ApiApp, { node }: { node: CloudyNode }): void {
  const tags = ['invites']

  app.post(
    `${API_V1}/invites`,
    {
      schema: {
        tags,
        summary: 'Create a one-time invite; the answer holds its code once',
        body: CreateInviteBody,
        response: { 201: CreatedInviteView, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const expiresInMs = parseDuration(request.body.expires)
      if (expiresInMs > MAX_INVITE_MS) {
        throw new CloudyError('INVALID_INPUT', 'an invite may stay valid for at most 30d')
      }
      reply.code(201).send(await node.createInvite({ expiresInMs }))
    },
  )

  app.get(
    `${API_V1}/invites`,
    { schema: { tags, summary: 'List invites', response: { 200: z.array(InviteView), ...ERROR_RESPONSES } } },
    async () => node.listInvites(),
  )

  app.delete(
    `${API_V1}/invites/:id`,
    {
      schema: {
        tags,
        summary: 'Revoke an invite',
        params: z.object({ id: ResourceId }),
        response: { 200: InviteView, ...ERROR_RESPONSES },
      },
    },
    async (request) => node.revokeInvite(request.params.id),
  )
}
