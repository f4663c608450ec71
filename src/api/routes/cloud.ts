import { z } from 'zod'
import type { CloudyNode } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'
import { CloudName, ERROR_RESPONSES, NoContent } from '../schemas/fields.ts'
import { CloudInfoView } from '../schemas/views.ts'
import { API_V1 } from './prefix.ts'

const Force = z.boolean().optional().describe('leave the current cloud first')

export function registerCloudRoutes(app: ApiApp, { node }: { node: CloudyNode }): void {
  const tags = ['cloud']

  app.post(
    `${API_V1}/cloud`,
    {
      schema: {
        tags,
        summary: 'Create a cloud with this node as its first member',
        body: z.object({ name: CloudName, force: Force }).strict(),
        response: { 201: CloudInfoView, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { name, force } = request.body
      reply.code(201).send(await node.createCloud(name, { force }))
    },
  )

  app.post(
    `${API_V1}/cloud/join`,
    {
      schema: {
        tags,
        summary: 'Join a cloud with an invite code',
        body: z.object({ invite: z.string().trim().min(1).max(4096), force: Force }).strict(),
        response: { 200: CloudInfoView, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { invite, force } = request.body
      return node.joinCloud(invite, { force })
    },
  )

  app.delete(
    `${API_V1}/cloud`,
    {
      schema: {
        tags,
        summary: 'Leave the cloud gracefully',
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      await node.leaveCloud()
      reply.code(204).send(null)
    },
  )
}
