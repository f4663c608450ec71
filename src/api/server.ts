import swagger from '@fastify/swagger'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { Registry } from 'prom-client'
import type { CloudyNode } from '../node/types.ts'
import type { Logger } from '../util/logger.ts'
import type { ApiApp } from './api-app.ts'
import type { AuthStore } from './auth-store.ts'
import { installAuthentication } from './authenticate.ts'
import { installErrorHandling } from './error-handler.ts'
import { createEventLog } from './event-log.ts'
import { createLoginLimiter, type LoginLimiterInit } from './login-limiter.ts'
import { RequestLog } from './request-log.ts'
import { registerAuthRoutes } from './routes/auth.ts'
import { registerBuiltinServiceRoutes } from './routes/builtin-services.ts'
import { registerCloudRoutes } from './routes/cloud.ts'
import { registerDashboardRoutes } from './routes/dashboard.ts'
import { registerEventRoutes } from './routes/events.ts'
import { registerInviteRoutes } from './routes/invites.ts'
import { registerMetricsRoute } from './routes/metrics.ts'
import { registerNodeRoutes } from './routes/node.ts'
import { API_V1 } from './routes/prefix.ts'
import { registerRecentEventRoutes } from './routes/recent-events.ts'
import { registerServiceRoutes } from './routes/services.ts'
import { registerSettingsRoutes } from './routes/settings.ts'
import { registerStorageRoutes } from './routes/storage.ts'
import { registerTorrentRoutes } from './routes/torrents.ts'
import { SESSION_COOKIE } from './session-cookie.ts'
import {
  jsonSerializerCompiler,
  type ZodTypeProvider,
  zodToOpenApi,
  zodValidatorCompiler,
} from './zod-provider.ts'

export interface ApiServerInit {
  /** the software version, shown in the OpenAPI document */
  version: string
  /** ms between heartbeat comments on the event stream; default 15 s */
  eventHeartbeatMs?: number
  /** limits on failed logins; defaults 10 per client and 60 in total per minute */
  loginLimits?: LoginLimiterInit
  /** how many recent node events GET /api/v1/events/recent keeps; default 200 */
  eventLogSize?: number
  /** the built dashboard (index.html and assets/); default the package's web/dist */
  dashboardDir?: string
}

export interface ApiServerComponents {
  node: CloudyNode
  auth: AuthStore
  logger: Logger
  /** where /metrics reads from; the API adds the process metrics and the node's gauges */
  metrics?: Registry
}

/** Request bodies are small JSON documents. */
const BODY_LIMIT = 64 * 1024

/**
 * The HTTP API of a node (docs/api.md): a fastify instance, not yet listening. Routes are under
 * /api/v1, plus /metrics; every one but login and the OpenAPI document needs credentials. Every
 * other GET serves the dashboard (docs/dashboard.md), which is a client of this API.
 */
export function createApiServer(init: ApiServerInit, components: ApiServerComponents): ApiApp {
  const { node, auth } = components
  const app: ApiApp = Fastify({
    loggerInstance: components.logger as FastifyBaseLogger,
    logController: new RequestLog(),
    bodyLimit: BODY_LIMIT,
    // caps travel in paths (/api/v1/uri/URI:CHK:…) and are longer than fastify's default of 100
    routerOptions: { maxParamLength: 4096 },
  }).withTypeProvider<ZodTypeProvider>()

  // bodies are JSON only: a form or text/plain post (which a browser sends cross-site without asking) is a 415
  app.removeContentTypeParser('text/plain')
  app.setValidatorCompiler(zodValidatorCompiler)
  app.setSerializerCompiler(jsonSerializerCompiler)
  installErrorHandling(app)
  installAuthentication(app, auth)
  const eventLog = createEventLog(init.eventLogSize === undefined ? {} : { size: init.eventLogSize }, {
    node,
  })
  app.addHook('onClose', async () => eventLog.close())

  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Cloudy node API',
        version: init.version,
        description: 'The HTTP API of one Cloudy node; see docs/api.md.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (cloudy_...)' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: zodToOpenApi,
  })

  // in a plugin, so that @fastify/swagger (registered above) sees every route
  app.register(async (scope) => {
    const api = scope.withTypeProvider<ZodTypeProvider>()
    registerAuthRoutes(api, { auth, limiter: createLoginLimiter(init.loginLimits) })
    registerNodeRoutes(api, { node })
    registerSettingsRoutes(api, { node })
    registerCloudRoutes(api, { node })
    registerInviteRoutes(api, { node })
    registerServiceRoutes(api, { node })
    registerBuiltinServiceRoutes(api, { node })
    registerTorrentRoutes(api, { node })
    registerStorageRoutes(api, { node })
    registerEventRoutes(api, { node }, { heartbeatMs: init.eventHeartbeatMs })
    registerRecentEventRoutes(api, { log: eventLog })
    registerMetricsRoute(api, { node, registry: components.metrics ?? new Registry() })
    api.get(`${API_V1}/openapi.json`, { config: { public: true }, schema: { hide: true } }, async () =>
      api.swagger(),
    )
  })

  // the dashboard's public pages and assets, outside the API (and its OpenAPI document)
  registerDashboardRoutes(app, init.dashboardDir === undefined ? {} : { root: init.dashboardDir })

  return app
}
