import { ApiError, csrfHeaders, request, responseError } from '../../api/client.ts'

// The storage routes of the API (docs/api.md). The daemon's types live beside Node-only code, so
// the answers are written down here, as GET /api/v1/storage/servers and the check routes give them.

/** One storage server of the cloud with its health as this node sees it. */
export interface StorageServer {
  /** the node's id */
  id: string
  name: string
  /** null when its announcement is not valid */
  host: string | null
  port: number | null
  /** this node's own storage server */
  self: boolean
  /** bytes the node offers; null: what its disk allows */
  capacity: number | null
  reachable: boolean
  latencyMs: number | null
  availableSpace: number | null
  applicationVersion: string | null
  /** why it did not answer */
  error?: string
}

/** This node's storage server, while it runs. */
export interface LocalStorage {
  shares: number
  bytesUsed: number
  uploadsInProgress: number
  capacity: number | null
  reservedSpace: number
}

export interface StorageServers {
  servers: StorageServer[]
  local: LocalStorage | null
  /** k, happy, N and the segment size of this node's uploads */
  encoding: { needed: number; happy: number; total: number; maxSegmentSize: number }
}

export interface PutResult {
  cap: string
  size: number
  /** share number → name of the server holding it */
  placement: Record<string, string>
}

export interface CheckResult {
  verifyCap: string
  needed: number
  total: number
  sharesFound: number
  servers: { id: string; name: string; shares: number[] }[]
  unreachable: string[]
  healthy: boolean
  recoverable: boolean
  corrupt: { server: string; shnum: number; stage: string; message: string; segment?: number }[]
}

export interface Transfer {
  loaded: number
  /** null when the size is not known */
  total: number | null
}

const URI = '/api/v1/uri'
const capPath = (cap: string) => `/uri/${encodeURIComponent(cap)}`

function unreachable(): ApiError {
  return new ApiError(
    'UNREACHABLE',
    0,
    'cannot reach the Cloudy node; check that its daemon is running (`cloudy status`)',
  )
}

function aborted(): DOMException {
  return new DOMException('The transfer was cancelled', 'AbortError')
}

export const storageApi = {
  servers: () => request<StorageServers>('GET', '/storage/servers'),
  check: (cap: string) => request<CheckResult>('POST', `${capPath(cap)}/check`),
  verify: (cap: string) => request<CheckResult>('POST', `${capPath(cap)}/verify`),

  /**
   * Stores a file on the cloud: PUT /uri with the file as the body, through XMLHttpRequest, which
   * (unlike fetch) reports how much of the body has been sent.
   */
  upload(
    file: Blob,
    { onProgress, signal }: { onProgress: (t: Transfer) => void; signal?: AbortSignal },
  ): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(aborted())
        return
      }
      const xhr = new XMLHttpRequest()
      xhr.open('PUT', URI)
      xhr.setRequestHeader('content-type', 'application/octet-stream')
      xhr.setRequestHeader('accept', 'application/json')
      for (const [name, value] of Object.entries(csrfHeaders())) xhr.setRequestHeader(name, value)
      xhr.upload.addEventListener('progress', (e) =>
        onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : null }),
      )
      const onAbort = () => xhr.abort()
      signal?.addEventListener('abort', onAbort, { once: true })
      const done = () => signal?.removeEventListener('abort', onAbort)
      xhr.addEventListener('load', () => {
        done()
        const res = new Response(xhr.responseText, {
          status: xhr.status,
          statusText: xhr.statusText,
          headers: {
            'content-type': 'application/json',
            'retry-after': xhr.getResponseHeader('retry-after') ?? '',
          },
        })
        if (res.ok) res.json().then((body) => resolve(body as PutResult), reject)
        else responseError(res).then(reject, reject)
      })
      xhr.addEventListener('error', () => {
        done()
        reject(unreachable())
      })
      xhr.addEventListener('abort', () => {
        done()
        reject(aborted())
      })
      xhr.send(file)
    })
  },

  /**
   * Reads a file by its cap with the session (GET needs no CSRF header), reporting the bytes
   * received; the whole file ends up in memory, as a Blob to save.
   */
  async download(
    cap: string,
    { onProgress, signal }: { onProgress: (t: Transfer) => void; signal?: AbortSignal },
  ): Promise<Blob> {
    let res: Response
    try {
      res = await fetch(`/api/v1${capPath(cap)}`, {
        credentials: 'same-origin',
        ...(signal && { signal }),
      })
    } catch (err) {
      if (signal?.aborted) throw aborted()
      throw err instanceof TypeError ? unreachable() : err
    }
    if (!res.ok) throw await responseError(res)
    const length = Number(res.headers.get('content-length'))
    const total = Number.isFinite(length) && length >= 0 ? length : null
    const parts: Uint8Array[] = []
    let loaded = 0
    onProgress({ loaded, total })
    if (res.body) {
      const reader = res.body.getReader()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          parts.push(value)
          loaded += value.length
          onProgress({ loaded, total })
        }
      } catch {
        if (signal?.aborted) throw aborted()
        throw new ApiError(
          'UNAVAILABLE',
          0,
          'the download broke off: storage servers may have gone away; try again',
        )
      }
    }
    return new Blob(parts as BlobPart[], { type: 'application/octet-stream' })
  },
}

/** Hands a Blob to the browser as a download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.hidden = true
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError'
