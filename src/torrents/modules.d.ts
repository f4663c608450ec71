// The parts of webtorrent, create-torrent and parse-torrent that Cloudy uses;
// these packages ship no type declarations.

declare module 'webtorrent' {
  import type { EventEmitter } from 'node:events'

  export interface WebTorrentOptions {
    dht?: boolean
    lsd?: boolean
    utPex?: boolean
    utp?: boolean
    natUpnp?: boolean
    natPmp?: boolean
    tracker?: boolean | Record<string, unknown>
    torrentPort?: number
    downloadLimit?: number
    uploadLimit?: number
    maxConns?: number
    blocklist?: string[]
    webSeeds?: boolean
  }

  export interface TorrentOptions {
    path?: string
    announce?: string[]
    skipVerify?: boolean
    paused?: boolean
    private?: boolean
    maxWebConns?: number
    strategy?: 'rarest' | 'sequential'
  }

  export interface TorrentFile {
    path: string
    name: string
    length: number
    downloaded: number
    progress: number
  }

  export interface Wire extends EventEmitter {
    remoteAddress: string
    remotePort: number
    peerId: string
    destroyed: boolean
    destroy(): void
  }

  export interface Torrent extends EventEmitter {
    infoHash: string
    magnetURI: string
    torrentFile: Uint8Array
    name: string
    length: number
    downloaded: number
    uploaded: number
    downloadSpeed: number
    uploadSpeed: number
    progress: number
    ratio: number
    numPeers: number
    timeRemaining: number
    done: boolean
    ready: boolean
    paused: boolean
    destroyed: boolean
    path: string
    files: TorrentFile[]
    announce: string[]
    wires: Wire[]
    pieceLength: number
    pause(): void
    resume(): void
    destroy(opts?: { destroyStore?: boolean }, cb?: (err?: Error) => void): void
  }

  export interface IpSet {
    add(ip: string): void
    contains(ip: string): boolean
  }

  export default class WebTorrent extends EventEmitter {
    constructor(opts?: WebTorrentOptions)
    torrents: Torrent[]
    peerId: string
    blocked: IpSet | undefined
    listening: boolean
    destroyed: boolean
    add(torrentId: string | Uint8Array, opts?: TorrentOptions, ontorrent?: (t: Torrent) => void): Torrent
    remove(torrentId: string | Torrent, opts?: { destroyStore?: boolean }): Promise<void>
    get(torrentId: string | Torrent): Promise<Torrent | null>
    address(): { address: string; family: string; port: number } | null
    throttleDownload(rate: number): void
    throttleUpload(rate: number): void
    destroy(cb?: (err?: Error) => void): void
  }
}

declare module 'create-torrent' {
  export interface CreateTorrentOptions {
    name?: string
    comment?: string
    createdBy?: string
    announceList?: string[][]
    private?: boolean
    pieceLength?: number
    urlList?: string[]
  }
  export default function createTorrent(
    input: string | string[],
    opts: CreateTorrentOptions,
    cb: (err: Error | null, torrent: Uint8Array) => void,
  ): void
}

declare module 'parse-torrent' {
  export interface ParsedTorrent {
    infoHash: string
    name?: string
    length?: number
    announce?: string[]
    files?: { path: string; name: string; length: number }[]
    pieceLength?: number
    pieces?: string[]
  }
  export default function parseTorrent(input: string | Uint8Array): Promise<ParsedTorrent>
  export function toMagnetURI(parsed: ParsedTorrent): string
}
