import { z } from 'zod'
import type { CloudyNode } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'
import { ERROR_RESPONSES, Host } from '../schemas/fields.ts'
import { API_V1 } from './prefix.ts'

const ListenSettingsView = z.object({
  host: z.string().describe('the address the running node listens on for overlay and service traffic'),
  savedHost: z.string().describe('the address saved for the next start'),
  restartRequired: z.boolean().describe('the saved address takes effect when the daemon restarts'),
  apiHost: z.string().describe('where the HTTP API and the dashboard listen (config apiHost)'),
  apiPort: z.number(),
})

/** GET and PUT /api/v1/node/settings: settings of this node that take effect on restart. */
export function registerSettingsRoutes(app: ApiApp, { node }: { node: CloudyNode }): void {
  const tags = ['node']

  app.get(
    `${API_V1}/node/settings`,
    {
      schema: {
        tags,
        summary: 'Where this node listens, now and after a restart',
        response: { 200: ListenSettingsView, ...ERROR_RESPONSES },
      },
    },
    async () => node.listenSettings(),
  )

  app.put(
    `${API_V1}/node/settings`,
    {
      schema: {
        tags,
        summary: 'Save the listen address (config host); it takes effect when the daemon restarts',
        body: z
          .object({ host: Host.describe('an IP address or DNS name, e.g. 0.0.0.0 for every interface') })
          .strict(),
        response: { 200: ListenSettingsView, ...ERROR_RESPONSES },
      },
    },
    async (request) => node.setListenHost(request.body.host),
  )
}
