import { z } from 'zod'

/** What the torrent routes answer (src/torrents/views.ts), for the OpenAPI document. */

const Millis = z.number().describe('ms since the Unix epoch')

export const TorrentView = z.object({
  infoHash: z.string(),
  name: z.string(),
  status: z.enum(['metadata', 'checking', 'downloading', 'seeding', 'paused', 'error']),
  error: z.string().nullable(),
  length: z.number().describe('bytes; 0 until the metadata arrived'),
  downloaded: z.number().describe('verified bytes'),
  uploaded: z.number(),
  progress: z.number().describe('0..1'),
  downloadRate: z.number().describe('bytes/s'),
  uploadRate: z.number().describe('bytes/s'),
  ratio: z.number(),
  peers: z.number(),
  etaMs: z.number().nullable(),
  path: z.string().describe('the folder holding its file or top folder'),
  magnet: z.string(),
  trackers: z.array(z.string()),
  files: z.array(z.object({ path: z.string(), length: z.number(), downloaded: z.number() })),
  addedAt: Millis,
  completedAt: Millis.nullable(),
  seedingLocal: z.boolean(),
})

export const TorrentRemovedView = z.object({
  infoHash: z.string(),
  name: z.string(),
  deletedData: z.boolean(),
})

export const CreatedTorrentView = z.object({
  infoHash: z.string(),
  name: z.string(),
  magnet: z.string(),
  torrentPath: z.string().describe('where the daemon wrote the .torrent file'),
  trackers: z.array(z.string()),
  seeding: z.boolean(),
})

export const TorrentLimitsView = z.object({
  downloadLimit: z.number().nullable().describe('bytes/s; null: unlimited'),
  uploadLimit: z.number().nullable(),
  ratioLimit: z.number().nullable(),
})

export const TrackerStatsView = z.object({
  port: z.number(),
  announce: z.array(z.string()),
  access: z.enum(['cloud', 'open']),
  torrents: z.number(),
  seeders: z.number(),
  leechers: z.number(),
  completed: z.number(),
  announces: z.number(),
  scrapes: z.number(),
  refused: z.number(),
  swarms: z.array(
    z.object({ infoHash: z.string(), seeders: z.number(), leechers: z.number(), completed: z.number() }),
  ),
})
