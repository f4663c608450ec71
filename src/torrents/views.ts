// What the torrents and tracker services show of themselves: plain data, shared by the daemon, the
// API and the dashboard (which must not import anything that needs Node).

/** The life of a torrent in the client, as Transmission shows it. */
export type TorrentStatus =
  /** fetching the metadata (a magnet link) */
  | 'metadata'
  /** hash-checking the pieces already on disk */
  | 'checking'
  | 'downloading'
  | 'seeding'
  /** stopped by the user or by the seeding-ratio limit: no connections, data kept */
  | 'paused'
  /** stopped by a failure (disk full, unreadable data, ...); `error` says why */
  | 'error'

export interface TorrentFileView {
  /** path inside the torrent */
  path: string
  length: number
  /** bytes verified */
  downloaded: number
}

export interface TorrentView {
  infoHash: string
  /** the torrent's name (its file or top folder); the info hash until the metadata arrived */
  name: string
  status: TorrentStatus
  /** why it stopped, when status is "error" */
  error: string | null
  /** total size in bytes; 0 until the metadata arrived */
  length: number
  /** verified bytes on disk */
  downloaded: number
  uploaded: number
  /** 0..1 */
  progress: number
  /** bytes/s over the last seconds */
  downloadRate: number
  uploadRate: number
  /** uploaded / length */
  ratio: number
  peers: number
  /** ms until done at the current rate; null when unknown or done */
  etaMs: number | null
  /** where its files are: the folder holding the torrent's file or top folder */
  path: string
  magnet: string
  /** the trackers it announces to */
  trackers: string[]
  files: TorrentFileView[]
  addedAt: number
  /** ms since epoch the last piece was verified; null until it completed */
  completedAt: number | null
  /** it seeds a file or folder that was already on this machine (removing it never deletes that) */
  seedingLocal: boolean
}

/** Settings of the client (options of the `torrents` built-in service). */
export interface TorrentLimits {
  /** bytes/s; null: unlimited */
  downloadLimit: number | null
  uploadLimit: number | null
  /** stop seeding a torrent once uploaded/length reaches this; null: seed forever */
  ratioLimit: number | null
}

export interface CreatedTorrentView {
  infoHash: string
  name: string
  magnet: string
  /** where the daemon wrote the .torrent file */
  torrentPath: string
  trackers: string[]
  /** the torrent was added and is seeding */
  seeding: boolean
}

export interface TrackerSwarmView {
  infoHash: string
  seeders: number
  leechers: number
  /** announces with event=completed seen since the tracker started */
  completed: number
}

export interface TrackerStatsView {
  port: number
  /** announce URLs (http and udp) on this node's advertised host */
  announce: string[]
  /** "cloud": only members of the cloud (and allowed networks); "open": anyone */
  access: 'cloud' | 'open'
  torrents: number
  seeders: number
  leechers: number
  completed: number
  /** announces and scrapes answered, and requests refused for coming from outside the cloud */
  announces: number
  scrapes: number
  refused: number
  swarms: TrackerSwarmView[]
}

export type TorrentEvents = {
  'torrent:added': TorrentView
  /** every piece is verified */
  'torrent:downloaded': TorrentView
  'torrent:paused': TorrentView
  'torrent:resumed': TorrentView
  'torrent:removed': { infoHash: string; name: string; deletedData: boolean }
  'torrent:failed': TorrentView
}

export const TORRENT_EVENT_NAMES = [
  'torrent:added',
  'torrent:downloaded',
  'torrent:paused',
  'torrent:resumed',
  'torrent:removed',
  'torrent:failed',
] as const satisfies readonly (keyof TorrentEvents)[]
