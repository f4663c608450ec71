import type { TorrentView, TrackerStatsView } from '../../../../src/torrents/views.ts'
import { request } from '../../api/client.ts'

export type { TorrentView as Torrent, TrackerStatsView as TrackerStats }

/** The torrent and tracker routes of the API (docs/torrents.md). */
export const torrentsApi = {
  list: () => request<TorrentView[]>('GET', '/torrents'),
  addMagnet: (magnet: string) => request<TorrentView>('POST', '/torrents', { magnet }),
  addFile: (base64: string) => request<TorrentView>('POST', '/torrents', { torrent: base64 }),
  seed: (path: string) => request<TorrentView>('POST', '/torrents', { seedPath: path }),
  pause: (infoHash: string) => request<TorrentView>('POST', `/torrents/${infoHash}/pause`),
  resume: (infoHash: string) => request<TorrentView>('POST', `/torrents/${infoHash}/resume`),
  remove: (infoHash: string, deleteData: boolean) =>
    request<void>('DELETE', `/torrents/${infoHash}${deleteData ? '?deleteData=true' : ''}`),
  tracker: () => request<TrackerStatsView>('GET', '/tracker'),
  fileUrl: (infoHash: string) => `/api/v1/torrents/${infoHash}/torrent`,
}

/** A file's bytes as base64, for the JSON body. */
export async function fileToBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}
