import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../../util/atomic-file.ts'
import { CloudyError } from '../../util/errors.ts'

/**
 * The client's files under `<data dir>/torrents/` (docs/torrents.md):
 *   state.json          the torrents and what the user did to them (version 1), written atomically
 *   meta/<hash>.torrent  each torrent's metadata, once known
 *   data/<hash>/         what the client downloaded (a seeded local file stays where it is)
 */
export const StoredTorrentSchema = z.object({
  infoHash: z.string().regex(/^[0-9a-f]{40}$/),
  name: z.string(),
  magnet: z.string(),
  /** the folder holding the torrent's file or top folder */
  path: z.string(),
  /** the .torrent is in meta/ */
  hasMetadata: z.boolean(),
  paused: z.boolean(),
  /** why it stopped; set on failure, cleared on resume */
  error: z.string().nullable(),
  /** total size, once the metadata is known; verified bytes when it last ran */
  length: z.number().nonnegative().default(0),
  downloaded: z.number().nonnegative().default(0),
  /** bytes uploaded in earlier runs, for the seeding ratio */
  uploadedBefore: z.number().nonnegative(),
  addedAt: z.number(),
  completedAt: z.number().nullable(),
  seedingLocal: z.boolean(),
  /** extra trackers given when it was added */
  trackers: z.array(z.string()),
})
export type StoredTorrent = z.infer<typeof StoredTorrentSchema>

const StateSchema = z.object({ v: z.literal(1), torrents: z.array(StoredTorrentSchema) })

export class TorrentStore {
  readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  get stateFile(): string {
    return join(this.dir, 'state.json')
  }
  metaFile(infoHash: string): string {
    return join(this.dir, 'meta', `${infoHash}.torrent`)
  }
  dataDir(infoHash: string): string {
    return join(this.dir, 'data', infoHash)
  }

  async ensure(): Promise<void> {
    await mkdir(join(this.dir, 'meta'), { recursive: true, mode: 0o700 })
    await mkdir(join(this.dir, 'data'), { recursive: true, mode: 0o700 })
  }

  async load(): Promise<StoredTorrent[]> {
    const raw = await readJsonIfExists(this.stateFile)
    if (raw === undefined) return []
    const parsed = StateSchema.safeParse(raw)
    if (!parsed.success) {
      const version = (raw as { v?: unknown }).v
      if (typeof version === 'number' && version > 1) {
        throw new CloudyError('DATA_DIR_TOO_NEW', `${this.stateFile} was written by a newer Cloudy`)
      }
      throw new CloudyError('INVALID_INPUT', `${this.stateFile} is invalid: ${z.prettifyError(parsed.error)}`)
    }
    return parsed.data.torrents
  }

  async save(torrents: readonly StoredTorrent[]): Promise<void> {
    await writeJsonAtomic(this.stateFile, { v: 1, torrents })
  }

  async saveMeta(infoHash: string, torrentFile: Uint8Array): Promise<void> {
    await writeFileAtomic(this.metaFile(infoHash), torrentFile, 0o644)
  }

  readMeta(infoHash: string): Promise<Buffer> {
    return readFile(this.metaFile(infoHash))
  }

  async removeMeta(infoHash: string): Promise<void> {
    await rm(this.metaFile(infoHash), { force: true })
  }

  async removeData(infoHash: string): Promise<void> {
    await rm(this.dataDir(infoHash), { recursive: true, force: true })
  }
}
