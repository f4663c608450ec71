import { z } from 'zod'
import type { CloudyNode } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'
import { ERROR_RESPONSES, NodeName } from '../schemas/fields.ts'
import { MemberView, StatusView } from '../schemas/views.ts'
import { API_V1 } from './prefix.ts'

export function registerNodeRoutes(app: ApiApp, { node }: { node: CloudyNode }): void {
  const tags = ['node']

  app.get(
    `${API_V1}/status`,
    { schema: { tags, summary: 'This node', response: { 200: StatusView, ...ERROR_RESPONSES } } },
    async () => node.status(),
  )

  app.get(
    `${API_V1}/nodes`,
    {
      schema: {
        tags,
        summary: 'Every member of the cloud, with status and resources',
        response: { 200: z.array(MemberView), ...ERROR_RESPONSES },
      },
    },
    async () => node.members(),
  )

  app.put(
    `${API_V1}/node`,
    {
      schema: {
        tags,
        summary: 'Rename this node',
        body: z.object({ name: NodeName }).strict(),
        response: { 200: StatusView, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      await node.setName(request.body.name)
      return node.status()
    },
  )
}
