import { z } from 'zod'
import type { CloudyNode } from '../../node/types.ts'
import type { ApiApp } from '../api-app.ts'
import { ERROR_RESPONSES, NoContent } from '../schemas/fields.ts'
import { CreatedTorrentView, TorrentView, TrackerStatsView } from '../schemas/torrents.ts'
import { API_V1 } from './prefix.ts'

/** A .torrent travels base64-encoded in JSON; the API's 64 KiB body limit is raised for it. */
const ADD_BODY_LIMIT = 12 * 1024 * 1024

const InfoHash = z
  .string()
  .regex(/^[0-9a-fA-F]{40}$/, 'an info hash is 40 hexadecimal digits')
  .transform((s) => s.toLowerCase())
const Params = z.object({ infoHash: InfoHash })
const Trackers = z
  .array(
    z
      .url()
      .max(2048)
      .regex(/^(udp|https?):\/\//, 'a tracker URL starts with udp://, http:// or https://'),
  )
  .max(50)
const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^\//, 'an absolute path on the node, e.g. /srv/film.mkv')

const AddBody = z
  .object({
    magnet: z.string().max(8192).optional().describe('a magnet link'),
    torrent: z.base64().optional().describe('a .torrent file, base64-encoded'),
    seedPath: AbsolutePath.optional().describe('a file or folder on the node to seed'),
    trackers: Trackers.optional().describe('trackers to use besides those of the torrent and the cloud'),
    paused: z.boolean().optional().describe('add it without starting it'),
  })
  .strict()
  .refine(
    (b) => [b.magnet, b.torrent, b.seedPath].filter((x) => x !== undefined).length === 1,
    'give exactly one of magnet, torrent and seedPath',
  )

const CreateBody = z
  .object({
    path: AbsolutePath.describe('the file or folder on the node'),
    seed: z.boolean().optional().describe('also add and seed it'),
    trackers: Trackers.optional().describe("default: the cloud's trackers"),
    private: z.boolean().optional(),
    pieceLength: z
      .number()
      .int()
      .min(16 * 1024)
      .max(16 * 1024 * 1024)
      .refine((n) => (n & (n - 1)) === 0, 'a power of two')
      .optional(),
    comment: z.string().max(1024).optional(),
  })
  .strict()

export function registerTorrentRoutes(app: ApiApp, { node }: { node: CloudyNode }): void {
  const tags = ['torrents']

  app.get(
    `${API_V1}/torrents`,
    {
      schema: {
        tags,
        summary: 'The torrents of this node with progress, rates and peers',
        response: { 200: z.array(TorrentView), ...ERROR_RESPONSES },
      },
    },
    async () => node.torrents().list(),
  )

  app.post(
    `${API_V1}/torrents`,
    {
      bodyLimit: ADD_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Add a torrent: a magnet link, a .torrent file, or a local file or folder to seed',
        body: AddBody,
        response: { 201: TorrentView, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { magnet, torrent, seedPath, trackers, paused } = request.body
      const common = { ...(trackers && { trackers }), ...(paused !== undefined && { paused }) }
      const torrents = node.torrents()
      const view =
        magnet !== undefined
          ? await torrents.add({ magnet, ...common })
          : torrent !== undefined
            ? await torrents.add({ torrent: Buffer.from(torrent, 'base64'), ...common })
            : await torrents.add({ seedPath: seedPath as string, ...common })
      return reply.code(201).send(view)
    },
  )

  app.post(
    `${API_V1}/torrents/create`,
    {
      schema: {
        tags,
        summary: "Make a .torrent of a file or folder on the node, announcing to the cloud's trackers",
        body: CreateBody,
        response: { 201: CreatedTorrentView, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const b = request.body
      const created = await node.torrents().create({
        path: b.path,
        ...(b.seed !== undefined && { seed: b.seed }),
        ...(b.trackers && { trackers: b.trackers }),
        ...(b.private !== undefined && { private: b.private }),
        ...(b.pieceLength !== undefined && { pieceLength: b.pieceLength }),
        ...(b.comment !== undefined && { comment: b.comment }),
      })
      return reply.code(201).send(created)
    },
  )

  app.get(
    `${API_V1}/torrents/:infoHash`,
    {
      schema: {
        tags,
        summary: 'One torrent',
        params: Params,
        response: { 200: TorrentView, ...ERROR_RESPONSES },
      },
    },
    async (request) => node.torrents().get(request.params.infoHash),
  )

  app.get(
    `${API_V1}/torrents/:infoHash/torrent`,
    {
      schema: {
        tags,
        summary: 'The .torrent file (application/x-bittorrent)',
        params: Params,
        produces: ['application/x-bittorrent'],
        response: { 200: z.any().describe('the bencoded .torrent file'), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const file = await node.torrents().torrentFile(request.params.infoHash)
      const ascii = file.name.replace(/[^\x20-\x7e]|["\\]/g, '_')
      return reply
        .type('application/x-bittorrent')
        .header(
          'content-disposition',
          `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        )
        .send(Buffer.from(file.data))
    },
  )

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `${API_V1}/torrents/:infoHash/${action}`,
      {
        schema: {
          tags,
          summary: action === 'pause' ? 'Stop a torrent: no connections, data kept' : 'Start a torrent again',
          params: Params,
          response: { 200: TorrentView, ...ERROR_RESPONSES },
        },
      },
      async (request) => node.torrents()[action](request.params.infoHash),
    )
  }

  app.delete(
    `${API_V1}/torrents/:infoHash`,
    {
      schema: {
        tags,
        summary: 'Remove a torrent, and with deleteData=true what it downloaded',
        params: Params,
        querystring: z.object({
          deleteData: z
            .enum(['true', 'false'])
            .optional()
            .transform((v) => v === 'true'),
        }),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await node.torrents().remove(request.params.infoHash, { deleteData: request.query.deleteData })
      reply.code(204).send(null)
    },
  )

  app.get(
    `${API_V1}/tracker`,
    {
      schema: {
        tags: ['tracker'],
        summary: "This node's tracker: torrents, seeders, leechers, completed, requests",
        response: { 200: TrackerStatsView, ...ERROR_RESPONSES },
      },
    },
    async () => node.tracker().stats(),
  )
}
