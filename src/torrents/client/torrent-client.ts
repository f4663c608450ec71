import { stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import createTorrent from 'create-torrent'
import type { ParsedTorrent } from 'parse-torrent'
import WebTorrent, { type Torrent } from 'webtorrent'
import { CloudyError } from '../../util/errors.ts'
import type { Logger } from '../../util/logger.ts'
import type { CreatedTorrentView, TorrentEvents, TorrentLimits, TorrentView } from '../views.ts'
import { guardAgainstBadPeers } from './bad-peer-guard.ts'
import { dropDuplicateConnections } from './duplicate-connections.ts'
import { checkInfoHash, parseMagnet, parseTorrentFile } from './torrent-input.ts'
import { type StoredTorrent, TorrentStore } from './torrent-store.ts'
import { describeTorrent } from './torrent-view.ts'

/** How a torrent is added: a magnet link, a .torrent file's bytes, or a local file or folder to seed. */
export type AddTorrentInput =
  | { magnet: string; trackers?: string[]; paused?: boolean }
  | { torrent: Uint8Array; trackers?: string[]; paused?: boolean }
  | { seedPath: string; trackers?: string[]; paused?: boolean }

export interface CreateTorrentInput {
  /** absolute path of the file or folder */
  path: string
  /** also add it and seed it */
  seed?: boolean
  /** trackers to announce to, one tier each; default the cloud's trackers (a tier per node) */
  trackers?: string[] | string[][]
  /** private flag (BEP 27): no DHT or peer exchange */
  private?: boolean
  /** bytes; default chosen by size (16 KiB .. 16 MiB) */
  pieceLength?: number
  comment?: string
}

/** What the API does with the client (`node.torrents()`). */
export interface TorrentsApi {
  list(): TorrentView[]
  get(infoHash: string): TorrentView
  add(input: AddTorrentInput): Promise<TorrentView>
  create(input: CreateTorrentInput): Promise<CreatedTorrentView>
  pause(infoHash: string): Promise<TorrentView>
  resume(infoHash: string): Promise<TorrentView>
  remove(infoHash: string, options?: { deleteData?: boolean }): Promise<void>
  /** the .torrent file, once the metadata is known */
  torrentFile(infoHash: string): Promise<{ name: string; data: Uint8Array }>
  limits(): TorrentLimits
}

export interface TorrentClientInit {
  /** the client's folder: <data dir>/torrents */
  dir: string
  /** TCP port for peers; 0 for any free port */
  port: number
  limits: TorrentLimits
  /** "Cloudy/<version>", in created torrents */
  createdBy: string
}

export interface TorrentClientComponents {
  logger: Logger
  emit: <K extends keyof TorrentEvents>(event: K, payload: TorrentEvents[K]) => void
  /** announce URLs of the cloud's trackers, a tier (its UDP and HTTP URLs) per tracker */
  cloudTrackers: () => string[][]
  clock?: () => number
}

export interface TorrentClient extends TorrentsApi {
  /** the peer port it listens on */
  readonly port: number
  setLimits(limits: TorrentLimits): void
  stop(): Promise<void>
}

interface Entry {
  record: StoredTorrent
  /** the running webtorrent torrent; undefined while paused or failed */
  torrent: Torrent | undefined
}

const TICK_MS = 1000
const SAVE_EVERY_TICKS = 10

function diskMessage(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC') return `the disk is full (${err.message}); free space, then resume`
  if (code === 'EACCES' || code === 'EPERM') return `no permission: ${err.message}`
  if (code === 'ENOENT') return `a file is missing: ${err.message}`
  return err.message
}

/**
 * The BitTorrent client service: webtorrent confined to plain TCP BitTorrent (no DHT, LSD, PEX,
 * uTP, NAT traversal or WebRTC), with its torrents and what the user did to them persisted, so a
 * restart resumes every torrent where it was (webtorrent hash-checks the pieces on disk instead
 * of downloading them again). A paused torrent is not in webtorrent at all: no connections.
 */
export async function startTorrentClient(
  init: TorrentClientInit,
  components: TorrentClientComponents,
): Promise<TorrentClient> {
  const { logger, emit } = components
  const clock = components.clock ?? Date.now
  const store = new TorrentStore(init.dir)
  await store.ensure()
  const entries = new Map<string, Entry>()
  for (const record of await store.load()) entries.set(record.infoHash, { record, torrent: undefined })
  let limits = init.limits

  const client = new WebTorrent({
    dht: false,
    lsd: false,
    utPex: false,
    utp: false,
    natUpnp: false,
    natPmp: false,
    webSeeds: false,
    torrentPort: init.port,
    downloadLimit: limits.downloadLimit ?? -1,
    uploadLimit: limits.uploadLimit ?? -1,
  })
  client.on('error', (err: Error) => logger.warn({ err }, 'torrent client error'))
  await new Promise<void>((resolvePromise, reject) => {
    if (client.listening) return resolvePromise()
    client.once('listening', () => resolvePromise())
    client.once('error', (err: Error) =>
      reject(
        new CloudyError(
          'UNAVAILABLE',
          `the torrent client cannot listen on port ${init.port}: ${err.message}`,
        ),
      ),
    )
  })
  const port = client.address()?.port ?? init.port

  let saving: Promise<void> = Promise.resolve()
  const save = (): Promise<void> => {
    saving = saving.catch(() => {}).then(() => store.save([...entries.values()].map(snapshot)))
    return saving
  }
  /** saves without waiting; a failure (a full disk) is logged, the state stays in memory */
  const saveInBackground = () => {
    save().catch((err: Error) => logger.warn({ reason: err.message }, 'saving the torrents state failed'))
  }
  /** the record with what the running torrent knows now */
  const snapshot = (e: Entry): StoredTorrent => {
    const t = e.torrent
    const known = t?.ready === true
    return {
      ...e.record,
      uploadedBefore: uploaded(e),
      ...(known ? { length: t.length, downloaded: Math.min(t.downloaded, t.length) } : {}),
    }
  }
  const uploaded = (e: Entry) => e.record.uploadedBefore + (e.torrent?.uploaded ?? 0)
  const view = (e: Entry) => describeTorrent(e.record, e.torrent, uploaded(e), clock())

  const find = (infoHash: string): Entry => {
    const entry = entries.get(checkInfoHash(infoHash))
    if (!entry)
      throw new CloudyError('NOT_FOUND', `no torrent ${infoHash} on this node (see \`cloudy torrent ls\`)`)
    return entry
  }

  const announceFor = (record: StoredTorrent) => [
    ...new Set([...record.trackers, ...components.cloudTrackers().flat()]),
  ]

  async function activate(entry: Entry, options: { skipVerify?: boolean } = {}): Promise<void> {
    const { record } = entry
    const source = record.hasMetadata ? await store.readMeta(record.infoHash) : record.magnet
    const torrent = client.add(source, {
      path: record.path,
      announce: announceFor(record),
      // rarest first, as BitTorrent clients do: webtorrent's default (sequential, for streaming)
      // makes every leecher want the same pieces and leaves the seeder to serve nearly all of them
      strategy: 'rarest',
      ...(options.skipVerify ? { skipVerify: true } : {}),
    })
    entry.torrent = torrent
    dropDuplicateConnections(torrent, client.peerId)
    guardAgainstBadPeers(torrent, {
      onDropped: (peer, piece) =>
        logger.warn({ infoHash: record.infoHash, peer, piece }, 'dropped a peer that sent a bad piece'),
    })
    torrent.on('warning', (err: Error) =>
      logger.debug({ infoHash: record.infoHash, reason: err.message }, 'torrent warning'),
    )
    torrent.on('metadata', () => {
      if (entry.torrent !== torrent) return
      record.name = torrent.name
      record.length = torrent.length
      if (!record.hasMetadata) {
        record.hasMetadata = true
        void store
          .saveMeta(record.infoHash, torrent.torrentFile)
          .then(save)
          .catch((err: Error) => logger.warn({ err }, 'saving torrent metadata failed'))
      }
    })
    torrent.on('done', () => {
      if (entry.torrent !== torrent) return
      if (record.completedAt === null) {
        record.completedAt = clock()
        saveInBackground()
        emit('torrent:downloaded', view(entry))
      }
    })
    torrent.on('error', (err: Error) => {
      if (entry.torrent !== torrent) return
      record.error = diskMessage(err)
      logger.warn({ infoHash: record.infoHash, reason: record.error }, 'torrent failed')
      void deactivate(entry).then(saveInBackground)
      emit('torrent:failed', view(entry))
    })
  }

  async function deactivate(entry: Entry): Promise<void> {
    const torrent = entry.torrent
    if (!torrent) return
    entry.record = snapshot(entry)
    entry.torrent = undefined
    if (!torrent.destroyed) await client.remove(torrent, { destroyStore: false }).catch(() => {})
  }

  async function addRecord(record: StoredTorrent, paused: boolean, skipVerify = false): Promise<TorrentView> {
    if (entries.has(record.infoHash)) {
      throw new CloudyError(
        'CONFLICT',
        `the torrent ${record.infoHash} (${record.name}) is already on this node`,
      )
    }
    record.paused = paused
    const entry: Entry = { record, torrent: undefined }
    entries.set(record.infoHash, entry)
    if (!paused) await activate(entry, { skipVerify })
    await save()
    const result = view(entry)
    emit('torrent:added', result)
    return result
  }

  const newRecord = (parsed: ParsedTorrent, fields: Partial<StoredTorrent>): StoredTorrent => ({
    infoHash: parsed.infoHash,
    name: parsed.name ?? parsed.infoHash,
    magnet: magnetOf(parsed),
    path: store.dataDir(parsed.infoHash),
    hasMetadata: false,
    length: parsed.length ?? 0,
    downloaded: 0,
    paused: false,
    error: null,
    uploadedBefore: 0,
    addedAt: clock(),
    completedAt: null,
    seedingLocal: false,
    trackers: [],
    ...fields,
  })

  async function localPath(path: string): Promise<string> {
    if (!isAbsolute(path)) throw new CloudyError('INVALID_INPUT', `"${path}" is not an absolute path`)
    const info = await stat(path).catch(() => undefined)
    if (info === undefined) throw new CloudyError('INVALID_INPUT', `no file or folder at ${path}`)
    if (!info.isFile() && !info.isDirectory()) {
      throw new CloudyError('INVALID_INPUT', `${path} is neither a file nor a folder`)
    }
    return resolve(path)
  }

  async function makeTorrent(
    input: CreateTorrentInput,
  ): Promise<{ parsed: ParsedTorrent; data: Uint8Array; path: string }> {
    const path = await localPath(input.path)
    const trackers = input.trackers ?? components.cloudTrackers()
    const data = await new Promise<Uint8Array>((resolvePromise, reject) =>
      createTorrent(
        path,
        {
          createdBy: init.createdBy,
          announceList: trackers.map((t) => (Array.isArray(t) ? t : [t])),
          ...(input.private ? { private: true } : {}),
          ...(input.pieceLength ? { pieceLength: input.pieceLength } : {}),
          ...(input.comment ? { comment: input.comment } : {}),
        },
        (err, torrent) =>
          err
            ? reject(new CloudyError('INVALID_INPUT', `cannot make a torrent of ${path}: ${err.message}`))
            : resolvePromise(torrent),
      ),
    )
    return { parsed: await parseTorrentFile(data), data, path }
  }

  // resume what ran before the restart
  for (const entry of entries.values()) {
    if (entry.record.paused || entry.record.error !== null) continue
    await activate(entry).catch((err: Error) => {
      entry.record.error = diskMessage(err)
    })
  }

  let ticks = 0
  const ticker = setInterval(() => {
    ticks++
    if (limits.ratioLimit !== null) {
      for (const entry of entries.values()) {
        const t = entry.torrent
        if (!t?.done || t.length === 0 || uploaded(entry) / t.length < limits.ratioLimit) continue
        logger.info(
          { infoHash: entry.record.infoHash, ratio: limits.ratioLimit },
          'seeding ratio reached: paused',
        )
        void api.pause(entry.record.infoHash).catch(() => {})
      }
    }
    if (ticks % SAVE_EVERY_TICKS === 0) saveInBackground()
  }, TICK_MS)
  ticker.unref()

  const api: TorrentClient = {
    port,
    list: () => [...entries.values()].map(view).sort((a, b) => a.addedAt - b.addedAt),
    get: (infoHash) => view(find(infoHash)),

    async add(input) {
      const paused = input.paused ?? false
      const trackers = input.trackers ?? []
      if ('magnet' in input) {
        const parsed = await parseMagnet(input.magnet)
        return addRecord(
          newRecord(parsed, { magnet: input.magnet, trackers: [...(parsed.announce ?? []), ...trackers] }),
          paused,
        )
      }
      if ('torrent' in input) {
        const parsed = await parseTorrentFile(input.torrent)
        const record = newRecord(parsed, { hasMetadata: true, trackers })
        if (entries.has(record.infoHash)) return addRecord(record, paused) // refused as a duplicate
        await store.saveMeta(record.infoHash, input.torrent)
        return addRecord(record, paused)
      }
      const made = await makeTorrent({
        path: input.seedPath,
        trackers: input.trackers ?? components.cloudTrackers(),
      })
      return seedMade(made, paused)
    },

    async create(input) {
      const made = await makeTorrent(input)
      const trackers = made.parsed.announce ?? []
      const infoHash = made.parsed.infoHash
      if (input.seed && !entries.has(infoHash)) await seedMade(made, false)
      else if (!entries.has(infoHash)) await store.saveMeta(infoHash, made.data)
      return {
        infoHash,
        name: made.parsed.name ?? infoHash,
        magnet: magnetOf(made.parsed),
        torrentPath: store.metaFile(infoHash),
        trackers,
        seeding: entries.get(infoHash)?.torrent !== undefined,
      }
    },

    async pause(infoHash) {
      const entry = find(infoHash)
      if (entry.record.paused) return view(entry)
      entry.record.paused = true
      await deactivate(entry)
      await save()
      const result = view(entry)
      emit('torrent:paused', result)
      return result
    },

    async resume(infoHash) {
      const entry = find(infoHash)
      if (!entry.record.paused && entry.record.error === null) return view(entry)
      entry.record.paused = false
      entry.record.error = null
      await activate(entry)
      await save()
      const result = view(entry)
      emit('torrent:resumed', result)
      return result
    },

    async remove(infoHash, options = {}) {
      const entry = find(infoHash)
      if (options.deleteData && entry.record.seedingLocal) {
        throw new CloudyError(
          'CONFLICT',
          `${entry.record.name} seeds ${join(entry.record.path, entry.record.name)}, which was on this machine before: remove the torrent without deleting data, and delete the files yourself if you mean to`,
        )
      }
      await deactivate(entry)
      entries.delete(entry.record.infoHash)
      await save()
      await store.removeMeta(entry.record.infoHash)
      if (options.deleteData) await store.removeData(entry.record.infoHash)
      emit('torrent:removed', {
        infoHash: entry.record.infoHash,
        name: entry.record.name,
        deletedData: options.deleteData === true,
      })
    },

    async torrentFile(infoHash) {
      const entry = find(infoHash)
      if (!entry.record.hasMetadata) {
        throw new CloudyError('CONFLICT', `the metadata of ${infoHash} has not arrived yet from peers`)
      }
      return { name: `${entry.record.name}.torrent`, data: await store.readMeta(entry.record.infoHash) }
    },

    limits: () => ({ ...limits }),

    setLimits(next) {
      limits = next
      client.throttleDownload(next.downloadLimit ?? -1)
      client.throttleUpload(next.uploadLimit ?? -1)
    },

    async stop() {
      clearInterval(ticker)
      for (const entry of entries.values()) {
        entry.record = snapshot(entry)
        entry.torrent = undefined
      }
      await save().catch((err: Error) => logger.warn({ err }, 'saving torrents failed'))
      await new Promise<void>((r) => client.destroy(() => r()))
    },
  }

  async function seedMade(made: { parsed: ParsedTorrent; data: Uint8Array; path: string }, paused: boolean) {
    const record = newRecord(made.parsed, {
      hasMetadata: true,
      path: dirname(made.path),
      seedingLocal: true,
      downloaded: made.parsed.length ?? 0,
      completedAt: clock(),
    })
    if (!entries.has(record.infoHash)) await store.saveMeta(record.infoHash, made.data)
    // the pieces were hashed a moment ago to make the torrent
    return addRecord(record, paused, true)
  }

  return api
}

function magnetOf(parsed: ParsedTorrent): string {
  const params = [`xt=urn:btih:${parsed.infoHash}`]
  if (parsed.name) params.push(`dn=${encodeURIComponent(parsed.name)}`)
  for (const tracker of parsed.announce ?? []) params.push(`tr=${encodeURIComponent(tracker)}`)
  return `magnet:?${params.join('&')}`
}
