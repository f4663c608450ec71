import { z } from 'zod'
import type { CloudyNode } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'
import { BuiltinName, ERROR_RESPONSES, ServiceOptions } from '../schemas/fields.ts'
import { BuiltinServiceView } from '../schemas/views.ts'
import { API_V1 } from './prefix.ts'

const NameParams = z.object({ name: BuiltinName })

export function registerBuiltinServiceRoutes(app: ApiApp, { node }: { node: CloudyNode }): void {
  const tags = ['builtin-services']

  app.get(
    `${API_V1}/builtin-services`,
    {
      schema: {
        tags,
        summary: 'The built-in services of this node and whether they run',
        response: { 200: z.array(BuiltinServiceView), ...ERROR_RESPONSES },
      },
    },
    async () => node.listBuiltinServices(),
  )

  app.put(
    `${API_V1}/builtin-services/:name`,
    {
      schema: {
        tags,
        summary: 'Switch a built-in service on (it stays on across restarts)',
        params: NameParams,
        body: z.object({ options: ServiceOptions.optional() }).strict().default({}),
        response: { 200: BuiltinServiceView, ...ERROR_RESPONSES },
      },
    },
    async (request) => node.enableBuiltinService(request.params.name, request.body.options),
  )

  app.delete(
    `${API_V1}/builtin-services/:name`,
    {
      schema: {
        tags,
        summary: 'Switch a built-in service off',
        params: NameParams,
        response: { 200: BuiltinServiceView, ...ERROR_RESPONSES },
      },
    },
    async (request) => node.disableBuiltinService(request.params.name),
  )
}
