import type { Torrent } from 'webtorrent'
import type { TorrentStatus, TorrentView } from '../views.ts'
import type { StoredTorrent } from './torrent-store.ts'

function statusOf(record: StoredTorrent, torrent: Torrent | undefined): TorrentStatus {
  if (record.error !== null) return 'error'
  if (record.paused || torrent === undefined) return 'paused'
  if (!record.hasMetadata && !torrent.ready && torrent.length === undefined) return 'metadata'
  if (!torrent.ready) return 'checking'
  return torrent.done ? 'seeding' : 'downloading'
}

/** What the API shows of a torrent, from its record and, while it runs, webtorrent's torrent. */
export function describeTorrent(
  record: StoredTorrent,
  torrent: Torrent | undefined,
  uploaded: number,
  _now: number,
): TorrentView {
  const status = statusOf(record, torrent)
  const live = torrent?.ready ? torrent : undefined
  const length = (live ? live.length : undefined) ?? record.length
  const downloaded = live ? Math.min(live.downloaded, length) : record.downloaded
  const progress = live ? live.progress : length > 0 ? downloaded / length : 0
  const downloadRate = live ? Math.round(live.downloadSpeed) : 0
  const eta =
    live && !live.done && downloadRate > 0 ? Math.round(((length - downloaded) / downloadRate) * 1000) : null
  return {
    infoHash: record.infoHash,
    name: torrent?.name ?? record.name,
    status,
    error: record.error,
    length,
    downloaded,
    uploaded,
    progress,
    downloadRate,
    uploadRate: live ? Math.round(live.uploadSpeed) : 0,
    ratio: length > 0 ? uploaded / length : 0,
    peers: live ? live.numPeers : 0,
    etaMs: eta,
    path: record.path,
    magnet: record.magnet,
    trackers: torrent?.announce ?? record.trackers,
    files: live
      ? live.files.map((f) => ({
          path: f.path,
          length: f.length,
          downloaded: Math.min(f.downloaded, f.length),
        }))
      : [],
    addedAt: record.addedAt,
    completedAt: record.completedAt,
    seedingLocal: record.seedingLocal,
  }
}
