import { z } from 'zod'
import type { SearchQuery } from '../../catalogue/types.ts'
import type { CloudyNode } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'
import {
  ERROR_RESPONSES,
  Host,
  NoContent,
  Port,
  PortParam,
  printableText,
  ServiceType,
  TxtQuery,
  TxtRecord,
} from '../schemas/fields.ts'
import { ServiceView } from '../schemas/views.ts'
import { API_V1 } from './prefix.ts'

const SearchFields = {
  type: ServiceType.optional(),
  host: Host.optional().describe('node name, node id or host'),
}

const PublishBody = z
  .object({
    type: ServiceType,
    port: Port,
    description: printableText(256).optional(),
    host: Host.optional().describe('defaults to the host of this node'),
    txt: TxtRecord.optional(),
    public: z
      .boolean()
      .optional()
      .describe('mirror to DNS-SD on the LAN; never for a service whose record holds a secret'),
  })
  .strict()

const toQuery = (q: { type?: string; host?: string; txt?: Record<string, string> }): SearchQuery => ({
  ...(q.type !== undefined && { type: q.type }),
  ...(q.host !== undefined && { host: q.host }),
  ...(q.txt !== undefined && { txt: q.txt }),
})

export function registerServiceRoutes(app: ApiApp, { node }: { node: CloudyNode }): void {
  const tags = ['services']

  app.get(
    `${API_V1}/services`,
    {
      schema: {
        tags,
        summary: 'Search the catalogue of the cloud',
        querystring: z.object({
          ...SearchFields,
          txt: TxtQuery.optional().describe('key=value, repeatable'),
        }),
        response: { 200: z.array(ServiceView), ...ERROR_RESPONSES },
      },
    },
    async (request) => node.search(toQuery(request.query)),
  )

  app.post(
    `${API_V1}/services`,
    {
      schema: {
        tags,
        summary: 'Publish a service of this node',
        body: PublishBody,
        response: { 201: ServiceView, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => reply.code(201).send(await node.publish(request.body)),
  )

  app.delete(
    `${API_V1}/services/:type/:port`,
    {
      schema: {
        tags,
        summary: 'Withdraw a service of this node',
        params: z.object({ type: ServiceType, port: PortParam }),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await node.unpublish(request.params.type, request.params.port)
      reply.code(204).send(null)
    },
  )

  app.post(
    `${API_V1}/services/scan`,
    {
      schema: {
        tags,
        summary: 'Search, and measure how well this node reaches each service found',
        body: z
          .object({ ...SearchFields, txt: TxtRecord.optional() })
          .strict()
          .default({}),
        response: { 200: z.array(ServiceView), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      // a client that goes away takes its scan with it
      const abort = new AbortController()
      reply.raw.on('close', () => abort.abort())
      return node.scanQuality(toQuery(request.body), { signal: abort.signal })
    },
  )
}
