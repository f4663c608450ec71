import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyReply } from 'fastify'
import type { ApiApp } from '../api-app.ts'

/** The built dashboard of this package: vite's output (`npm run build`), beside src/ and dist/. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url))

export interface DashboardRoutesInit {
  /** the directory with index.html and assets/; default the package's web/dist */
  root?: string
}

/** Paths that never fall back to the single-page app: a miss there is a JSON 404. */
const NOT_THE_APP = /^\/(?:api|metrics|assets)(?:\/|$)/

/**
 * The page may load scripts, styles and images from this origin only and talk to this origin only;
 * no inline script, no framing. QR codes are inline SVG elements, the favicon a data: URL.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

const NOT_BUILT =
  'The Cloudy dashboard is not built. Run `npm run build` in the Cloudy directory, then reload this page.\n'

/**
 * The dashboard, a single-page app built by vite into `root`: `/assets/*` are content-hashed files
 * served with a year-long immutable cache (precompressed .br/.gz siblings when the client takes
 * them); every other GET outside /api, /metrics and /assets answers index.html with `no-cache`, so
 * the app's own routes (/nodes, /services/web, ...) survive a reload. Routes are public: the page
 * itself holds no data, and everything it shows comes from the authenticated API.
 */
export function registerDashboardRoutes(app: ApiApp, init: DashboardRoutesInit = {}): void {
  const root = init.root ?? DEFAULT_DASHBOARD_DIR
  const indexPath = join(root, 'index.html')
  if (!existsSync(indexPath)) app.log.warn({ root }, 'the dashboard is not built: run `npm run build`')

  app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true }
    })

    await scope.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      preCompressed: true,
      maxAge: '365d',
      immutable: true,
      suppressWarning: true,
      setHeaders: (reply) => reply.header('x-content-type-options', 'nosniff'),
    })

    let cached: { html: Buffer; etag: string } | undefined
    const loadIndex = async () => {
      const html = await readFile(indexPath)
      if (cached === undefined || !cached.html.equals(html)) {
        cached = { html, etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"` }
      }
      return cached
    }

    const sendIndex = async (path: string, ifNoneMatch: string | undefined, reply: FastifyReply) => {
      if (NOT_THE_APP.test(path)) return reply.callNotFound()
      const page = await loadIndex().catch(() => undefined)
      if (page === undefined) {
        return reply
          .code(503)
          .header('cache-control', 'no-store')
          .type('text/plain; charset=utf-8')
          .send(NOT_BUILT)
      }
      reply.headers({ ...PAGE_HEADERS, 'cache-control': 'no-cache', etag: page.etag })
      if (ifNoneMatch === page.etag) return reply.code(304).send()
      return reply.type('text/html; charset=utf-8').send(page.html)
    }

    scope.get('/*', { schema: { hide: true } }, (request, reply) =>
      sendIndex(request.url.split('?')[0] ?? '/', request.headers['if-none-match'], reply),
    )
  })
}
