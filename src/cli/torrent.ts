import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import type { CreatedTorrentView, TorrentView, TrackerStatsView } from '../torrents/views.ts'
import { CloudyError } from '../util/errors.ts'
import { type ApiClient, connectApi } from './api-client.ts'
import { type CliDeps, dataDirOf, printJson } from './cli-context.ts'
import { clean, formatBytes, formatDuration, formatTable } from './format.ts'

/** creating a torrent hashes the whole file or folder */
const CREATE_TIMEOUT_MS = 30 * 60_000

const collect = (value: string, previous: string[] = []) => [...previous, value]

function parseTracker(text: string, previous: string[] = []): string[] {
  if (!/^(udp|https?):\/\/\S+$/.test(text)) {
    throw new InvalidArgumentError('a tracker URL starts with udp://, http:// or https://')
  }
  return collect(text, previous)
}

function parsePieceLength(text: string): number {
  const kib = /^(\d+)\s*(k|kib|m|mib)?$/i.exec(text.trim())
  const n = kib
    ? Number(kib[1]) * (/^m/i.test(kib[2] ?? '') ? 1024 * 1024 : /^k/i.test(kib[2] ?? '') ? 1024 : 1)
    : Number.NaN
  if (!(n >= 16 * 1024 && n <= 16 * 1024 * 1024 && (n & (n - 1)) === 0)) {
    throw new InvalidArgumentError('a piece length is a power of two from 16k to 16m, e.g. 256k')
  }
  return n
}

/** A torrent named by its info hash or a unique prefix of it (4 digits or more), as `ls` shows. */
async function resolveId(api: ApiClient, id: string): Promise<string> {
  const wanted = id.toLowerCase()
  if (/^[0-9a-f]{40}$/.test(wanted)) return wanted
  if (!/^[0-9a-f]{4,39}$/.test(wanted)) {
    throw new CloudyError(
      'INVALID_INPUT',
      `"${id}" is not an info hash or a prefix of one (4 hex digits or more)`,
    )
  }
  const matches = (await api.request<TorrentView[]>('GET', '/torrents')).filter((t) =>
    t.infoHash.startsWith(wanted),
  )
  if (matches.length === 0) throw new CloudyError('NOT_FOUND', `no torrent whose info hash starts with ${id}`)
  if (matches.length > 1) {
    throw new CloudyError('INVALID_INPUT', `${id} matches ${matches.length} torrents: give more digits`)
  }
  return (matches[0] as TorrentView).infoHash
}

const percent = (p: number) => `${(Math.floor(p * 1000) / 10).toFixed(1)}%`
const rate = (bytesPerS: number) => (bytesPerS > 0 ? `${formatBytes(bytesPerS)}/s` : '-')

export function renderTorrents(torrents: TorrentView[]): string[] {
  if (torrents.length === 0) return ['no torrents: add one with `cloudy torrent add MAGNET|FILE.torrent`']
  const rows = torrents.map((t) => [
    t.infoHash.slice(0, 8),
    clean(t.name).slice(0, 40),
    t.status === 'error' ? `error: ${clean(t.error ?? '')}` : t.status,
    percent(t.progress),
    t.length > 0 ? formatBytes(t.length) : '?',
    rate(t.downloadRate),
    rate(t.uploadRate),
    String(t.peers),
    t.etaMs === null ? '-' : formatDuration(t.etaMs),
    t.ratio.toFixed(2),
  ])
  return formatTable(['ID', 'NAME', 'STATUS', 'DONE', 'SIZE', 'DOWN', 'UP', 'PEERS', 'ETA', 'RATIO'], rows)
}

function describe(t: TorrentView): string {
  return `${t.infoHash.slice(0, 8)} ${clean(t.name)}: ${t.status}${t.error ? ` (${clean(t.error)})` : ''}`
}

/** cloudy torrent add|create|ls|pause|resume|rm|tracker */
export function addTorrentCommands(program: Command, deps: CliDeps): void {
  const { io } = deps
  const torrent = program
    .command('torrent')
    .description('the BitTorrent client of this node (needs `cloudy service enable torrents`)')

  torrent
    .command('add')
    .description('add a torrent: a magnet link or a .torrent file; or, with --seed, seed a file or folder')
    .argument('<source>', 'magnet link, .torrent file, or (with --seed) the file or folder to seed')
    .option('--seed', 'seed the file or folder <source> (it stays where it is)')
    .option('--tracker <url>', 'also announce to this tracker (repeatable)', parseTracker)
    .option('--paused', 'add it without starting it')
    .option('--json', 'machine-readable output')
    .action(
      async (
        source: string,
        options: { seed?: boolean; tracker?: string[]; paused?: boolean; json?: boolean },
        command: Command,
      ) => {
        const common = {
          ...(options.tracker && { trackers: options.tracker }),
          ...(options.paused && { paused: true }),
        }
        let body: Record<string, unknown>
        if (options.seed) body = { seedPath: resolve(source), ...common }
        else if (source.startsWith('magnet:')) body = { magnet: source, ...common }
        else {
          const data = await readFile(resolve(source)).catch((err: NodeJS.ErrnoException) => {
            throw new CloudyError('INVALID_INPUT', `cannot read ${source}: ${err.code ?? err.message}`)
          })
          body = { torrent: data.toString('base64'), ...common }
        }
        const api = await connectApi(dataDirOf(command))
        const view = await api.request<TorrentView>('POST', '/torrents', body, CREATE_TIMEOUT_MS)
        if (options.json) printJson(io, view)
        else io.out(`added ${describe(view)}`)
      },
    )

  torrent
    .command('create')
    .description("make a .torrent of a file or folder, announcing to the cloud's trackers")
    .argument('<path>', 'the file or folder')
    .option('--seed', 'also seed it')
    .option('--tracker <url>', "announce to this tracker instead of the cloud's (repeatable)", parseTracker)
    .option('--private', 'mark it private (BEP 27)')
    .option('--piece-length <size>', 'piece length, a power of two from 16k to 16m', parsePieceLength)
    .option('--comment <text>', 'a comment in the torrent')
    .option('--json', 'machine-readable output')
    .action(
      async (
        path: string,
        options: {
          seed?: boolean
          tracker?: string[]
          private?: boolean
          pieceLength?: number
          comment?: string
          json?: boolean
        },
        command: Command,
      ) => {
        const api = await connectApi(dataDirOf(command))
        const created = await api.request<CreatedTorrentView>(
          'POST',
          '/torrents/create',
          {
            path: resolve(path),
            ...(options.seed && { seed: true }),
            ...(options.tracker && { trackers: options.tracker }),
            ...(options.private && { private: true }),
            ...(options.pieceLength !== undefined && { pieceLength: options.pieceLength }),
            ...(options.comment !== undefined && { comment: options.comment }),
          },
          CREATE_TIMEOUT_MS,
        )
        if (options.json) {
          printJson(io, created)
          return
        }
        io.out(created.torrentPath)
        io.out(created.magnet)
        if (created.trackers.length === 0) {
          io.err('warning: no tracker in the cloud; enable one with `cloudy service enable tracker`')
        }
        if (created.seeding) io.err(`seeding ${clean(created.name)} (${created.infoHash})`)
      },
    )

  torrent
    .command('ls')
    .description('the torrents with progress, rates, peers and ETA')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const torrents = await (await connectApi(dataDirOf(command))).request<TorrentView[]>('GET', '/torrents')
      if (options.json) printJson(io, torrents)
      else for (const line of renderTorrents(torrents)) io.out(line)
    })

  for (const action of ['pause', 'resume'] as const) {
    torrent
      .command(action)
      .description(
        action === 'pause' ? 'stop a torrent (no connections; data kept)' : 'start a torrent again',
      )
      .argument('<id>', 'info hash, or its first digits as `ls` shows them')
      .action(async (id: string, _options: unknown, command: Command) => {
        const api = await connectApi(dataDirOf(command))
        const infoHash = await resolveId(api, id)
        const view = await api.request<TorrentView>('POST', `/torrents/${infoHash}/${action}`)
        io.out(describe(view))
      })
  }

  torrent
    .command('rm')
    .description('remove a torrent')
    .argument('<id>', 'info hash, or its first digits as `ls` shows them')
    .option('--delete-data', 'also delete what it downloaded')
    .action(async (id: string, options: { deleteData?: boolean }, command: Command) => {
      const api = await connectApi(dataDirOf(command))
      const infoHash = await resolveId(api, id)
      await api.request('DELETE', `/torrents/${infoHash}${options.deleteData ? '?deleteData=true' : ''}`)
      io.out(`removed ${infoHash}${options.deleteData ? ' and its data' : ''}`)
    })

  torrent
    .command('tracker')
    .description("this node's tracker: torrents, seeders, leechers (needs `cloudy service enable tracker`)")
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const stats = await (await connectApi(dataDirOf(command))).request<TrackerStatsView>('GET', '/tracker')
      if (options.json) {
        printJson(io, stats)
        return
      }
      io.out(
        `tracker on port ${stats.port} (${stats.access === 'open' ? 'open to anyone' : 'cloud members only'})`,
      )
      io.out(`announce: ${stats.announce.join(' ')}`)
      io.out(
        `${stats.torrents} torrents, ${stats.seeders} seeders, ${stats.leechers} leechers, ${stats.completed} completed; ${stats.announces} announces, ${stats.scrapes} scrapes, ${stats.refused} refused`,
      )
      if (stats.swarms.length > 0) {
        for (const line of formatTable(
          ['INFO HASH', 'SEEDERS', 'LEECHERS', 'COMPLETED'],
          stats.swarms.map((s) => [s.infoHash, String(s.seeders), String(s.leechers), String(s.completed)]),
        ))
          io.out(line)
      }
    })
}
