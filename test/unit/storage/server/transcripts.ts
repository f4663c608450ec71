import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const TRANSCRIPTS_DIR = fileURLToPath(
  new URL('../../../../../shared/fixtures/tahoe-lafs/http-transcripts/', import.meta.url),
)

type Headers = [string, string[]][]
interface Body {
  file: string
  content_type: string
}
export interface Exchange {
  n: number
  method: string
  path: string
  request_headers: Headers
  status: number
  response_headers: Headers
  request_body: Body | null
  response_body: Body | null
}
interface Fixture {
  grid_servers: { index: number; nickname: string; tub_id: string }[]
  chk: {
    storage_index_base32: string
    upload: Record<string, Exchange[]>
    download: Record<string, Exchange[]>
    disk_shares_after_upload: { shnum: number; server_nickname: string; file: string }[]
  }
  mutable_sdmf: {
    storage_index_base32: string
    create: Record<string, Exchange[]>
    read_v1: Record<string, Exchange[]>
    modify: Record<string, Exchange[]>
    read_v2: Record<string, Exchange[]>
    disk_shares_after_modify: { shnum: number; server_nickname: string; file: string }[]
  }
  version_example: { server: string; exchange: Exchange[] }
}

export const fixture = JSON.parse(readFileSync(`${TRANSCRIPTS_DIR}fixture.json`, 'utf8')) as Fixture

/** The recorded operations in the order they happened, with the folder holding their bodies. */
export const OPERATIONS: { folder: string; servers: Record<string, Exchange[]> }[] = [
  { folder: 'chk-upload', servers: fixture.chk.upload },
  { folder: 'chk-download', servers: fixture.chk.download },
  { folder: 'mutable-create', servers: fixture.mutable_sdmf.create },
  { folder: 'mutable-read-v1', servers: fixture.mutable_sdmf.read_v1 },
  { folder: 'mutable-modify', servers: fixture.mutable_sdmf.modify },
  { folder: 'mutable-read-v2', servers: fixture.mutable_sdmf.read_v2 },
]

export function bodyFile(folder: string, server: string | undefined, file: string): Buffer {
  return readFileSync(`${TRANSCRIPTS_DIR}${folder}/${server === undefined ? '' : `${server}/`}${file}`)
}

export function header(headers: Headers, name: string): string[] | undefined {
  return headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
}

/** The swissnum a recorded server was addressed with (from its Authorization header). */
export function swissnumOf(exchanges: Exchange[]): string {
  const auth = header((exchanges[0] as Exchange).request_headers, 'Authorization')?.[0] as string
  return Buffer.from(auth.replace('Tahoe-LAFS ', ''), 'base64').toString('ascii')
}

/** Request headers to replay (Host, Content-Length and Accept-Encoding are the client's own). */
export function replayHeaders(e: Exchange): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [k, v] of e.request_headers) {
    if (['host', 'content-length', 'accept-encoding'].includes(k.toLowerCase())) continue
    out[k.toLowerCase()] = v
  }
  return out
}
