import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client'
import type { CloudyNode } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'

/** Registers the node's gauges, and the default process metrics unless the registry has them. */
function registerNodeMetrics(registry: Registry, node: CloudyNode): void {
  if (registry.getSingleMetric('process_cpu_seconds_total') === undefined) {
    collectDefaultMetrics({ register: registry })
  }
  new Gauge({
    name: 'cloudy_members',
    help: 'Members of the cloud as this node sees them, by status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      for (const [status, count] of Object.entries(node.status().members)) this.set({ status }, count)
    },
  })
  new Gauge({
    name: 'cloudy_services',
    help: 'Services in the catalogue as this node sees it',
    registers: [registry],
    collect() {
      this.set(node.status().services)
    },
  })
}

/** GET /metrics in the Prometheus text format (credentials required, like every API route). */
export function registerMetricsRoute(app: ApiApp, deps: { node: CloudyNode; registry: Registry }): void {
  registerNodeMetrics(deps.registry, deps.node)
  app.get(
    '/metrics',
    { schema: { tags: ['metrics'], summary: 'Prometheus metrics', produces: ['text/plain'] } },
    async (_request, reply) => {
      reply.type(deps.registry.contentType)
      return deps.registry.metrics()
    },
  )
}
