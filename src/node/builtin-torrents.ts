import { join } from 'node:path'
import { z } from 'zod'
import type { ServiceView } from '../catalogue/types.ts'
import { startTorrentClient, type TorrentsApi } from '../torrents/client/torrent-client.ts'
import { createAccessPolicy, parseNetworks } from '../torrents/tracker/access-policy.ts'
import { startTracker, type Tracker } from '../torrents/tracker/tracker.ts'
import type { TrackerStatsView } from '../torrents/views.ts'
import { parseSize } from '../util/duration.ts'
import { CloudyError } from '../util/errors.ts'
import { VERSION } from '../util/version.ts'
import type { BuiltinServiceDefinition } from './builtin-services.ts'
import type { NodeEvents } from './views.ts'

// The BitTorrent built-in services (docs/torrents.md): the tracker and the client, adapted from
// src/torrents to the node's service lifecycle.

export const TRACKER_TYPE = 'bittorrent-tracker'

function parseWith<S extends z.ZodType>(
  schema: S,
  service: string,
  options: Record<string, unknown>,
): z.infer<S> {
  const parsed = schema.safeParse(options)
  if (!parsed.success) {
    throw new CloudyError('INVALID_INPUT', `options of ${service}: ${z.prettifyError(parsed.error)}`)
  }
  return parsed.data
}

const port = z.number().int().min(0).max(65535)

const TrackerOptions = z
  .object({
    /** HTTP and UDP; 0 for any free port */
    port: port.default(6969),
    /** answer anyone, not only the cloud's members */
    open: z.boolean().default(false),
    /** networks let in besides the members, comma-separated CIDRs */
    allow: z.string().default(''),
    /** seconds between a peer's announces */
    interval: z.number().int().min(10).max(86_400).default(120),
  })
  .strict()

/** A byte rate: a number of bytes/s or a size such as "2MB" (per second); 0 or "unlimited" for none. */
const Rate = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (value === 'unlimited' || value === 0 || value === '0') return null
  try {
    return typeof value === 'number' ? value : parseSize(value)
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a rate: bytes/s or a size like 2MB` })
    return z.NEVER
  }
})

const TorrentsOptions = z
  .object({
    /** TCP port for peers; 0 for any free port */
    port: port.default(0),
    downloadLimit: Rate.optional(),
    uploadLimit: Rate.optional(),
    /** stop seeding a torrent at this upload/size ratio; 0 for never */
    ratioLimit: z.number().nonnegative().default(0),
  })
  .strict()

function torrentOptions(options: Record<string, unknown>) {
  const o = parseWith(TorrentsOptions, 'torrents', options)
  return {
    port: o.port,
    limits: {
      downloadLimit: o.downloadLimit ?? null,
      uploadLimit: o.uploadLimit ?? null,
      ratioLimit: o.ratioLimit === 0 ? null : o.ratioLimit,
    },
  }
}

/** The announce URLs of the trackers in the catalogue, this node's first: a tier (UDP, HTTP) each. */
export function trackerUrls(services: readonly ServiceView[]): string[][] {
  const sorted = [...services].sort((a, b) => Number(b.local) - Number(a.local))
  return sorted.map((s) => {
    const host = s.host.includes(':') ? `[${s.host}]` : s.host
    return [`udp://${host}:${s.port}`, `http://${host}:${s.port}/announce`]
  })
}

export interface TrackerApi {
  stats(): TrackerStatsView
}

export const TRACKER_SERVICE: BuiltinServiceDefinition<TrackerApi> = {
  name: 'tracker',
  description: 'BitTorrent tracker (HTTP and UDP announce and scrape) for the members of the cloud',
  restartsOverlay: false,
  parseOptions(options) {
    const parsed = parseWith(TrackerOptions, 'tracker', options)
    parseNetworks(parsed.allow.split(','))
    return parsed
  },
  async start(ctx) {
    const o = parseWith(TrackerOptions, 'tracker', ctx.options)
    const tracker: Tracker = await startTracker(
      { host: ctx.host, port: o.port, advertiseHost: ctx.advertiseHost, intervalS: o.interval },
      {
        logger: ctx.logger,
        access: createAccessPolicy(
          { open: o.open, allow: o.allow.split(',') },
          { memberAddresses: ctx.memberAddresses },
        ),
      },
    )
    return { port: tracker.port, api: { stats: () => tracker.stats() }, stop: () => tracker.stop() }
  },
  record: ({ port: p }) => ({
    type: TRACKER_TYPE,
    port: p,
    description: 'Cloudy BitTorrent tracker',
    txt: { announce: '/announce', udp: 'yes' },
  }),
}

export const TORRENTS_SERVICE: BuiltinServiceDefinition<TorrentsApi> = {
  name: 'torrents',
  description: 'BitTorrent client: download, seed and create torrents that announce to the cloud trackers',
  restartsOverlay: false,
  parseOptions(options) {
    torrentOptions(options)
    return options
  },
  async start(ctx) {
    const o = torrentOptions(ctx.options)
    const client = await startTorrentClient(
      { dir: join(ctx.dataDir, 'torrents'), port: o.port, limits: o.limits, createdBy: `Cloudy/${VERSION}` },
      {
        logger: ctx.logger,
        emit: (event, payload) => ctx.events.emit(event, payload as NodeEvents[typeof event]),
        cloudTrackers: () => trackerUrls(ctx.search({ type: TRACKER_TYPE })),
      },
    )
    return {
      port: client.port,
      api: client,
      async reconfigure(options) {
        const next = torrentOptions(options)
        if (next.port !== o.port) return false
        client.setLimits(next.limits)
        return true
      },
      stop: () => client.stop(),
    }
  },
  record: () => undefined,
}
