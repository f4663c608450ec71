import { createHash, randomFillSync } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { request } from 'node:http'
import { pipeline } from 'node:stream/promises'

/** What the benchmark needs of a node to call its API. */
export interface ApiTarget {
  apiUrl: string
  token: string
}

export interface InputFile {
  path: string
  size: number
  sha256: string
}

const PIECE = 1024 * 1024

/** Writes `size` random bytes to `path` one MiB at a time (never the whole file in memory). */
export async function writeRandomFile(path: string, size: number): Promise<InputFile> {
  const hash = createHash('sha256')
  const piece = Buffer.alloc(Math.min(PIECE, Math.max(size, 1)))
  const file = await open(path, 'w')
  try {
    for (let done = 0; done < size; ) {
      const chunk = piece.subarray(0, Math.min(piece.length, size - done))
      randomFillSync(chunk)
      hash.update(chunk)
      await file.write(chunk)
      done += chunk.length
    }
  } finally {
    await file.close()
  }
  return { path, size, sha256: hash.digest('hex') }
}

export interface PutTiming {
  cap: string
  /** request start → the 201 answer fully read */
  ms: number
  /** request start → the last body byte handed to the socket (the gateway spools while it reads) */
  sentMs: number
  placement: Record<string, string>
}

/**
 * PUT /api/v1/uri with the file streamed from disk as the body (Content-Length set), as a client
 * such as curl -T does. Resolves with the cap once the gateway has answered.
 */
export function putFile(node: ApiTarget, file: InputFile, timeoutMs: number): Promise<PutTiming> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let sentMs = Number.NaN
    const req = request(`${node.apiUrl}/api/v1/uri`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${node.token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(file.size),
      },
      signal: AbortSignal.timeout(timeoutMs),
    })
    req.on('finish', () => (sentMs = performance.now() - started))
    req.on('error', reject)
    req.on('response', (res) => {
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('error', reject)
      res.on('end', () => {
        const ms = performance.now() - started
        const text = Buffer.concat(parts).toString('utf8')
        if (res.statusCode !== 201) {
          reject(new Error(`PUT /uri of ${file.size} bytes: ${res.statusCode} ${text.slice(0, 500)}`))
          return
        }
        const body = JSON.parse(text) as { cap: string; placement: Record<string, string> }
        resolve({ cap: body.cap, ms, sentMs, placement: body.placement })
      })
    })
    pipeline(createReadStream(file.path, { highWaterMark: PIECE }), req).catch(reject)
  })
}

export interface GetTiming {
  /** request start → the last byte received */
  ms: number
  /** request start → the first body byte */
  firstByteMs: number
  bytes: number
  sha256: string
}

/** GET /api/v1/uri/CAP, streamed into SHA-256 (the body is never held whole). */
export function getFile(node: ApiTarget, cap: string, timeoutMs: number): Promise<GetTiming> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const req = request(`${node.apiUrl}/api/v1/uri/${encodeURIComponent(cap)}`, {
      headers: { authorization: `Bearer ${node.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    })
    req.on('error', reject)
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        const parts: Buffer[] = []
        res.on('data', (d: Buffer) => parts.push(d))
        res.on('end', () =>
          reject(
            new Error(`GET /uri: ${res.statusCode} ${Buffer.concat(parts).toString('utf8').slice(0, 500)}`),
          ),
        )
        return
      }
      const hash = createHash('sha256')
      let bytes = 0
      let firstByteMs = Number.NaN
      res.on('data', (d: Buffer) => {
        if (bytes === 0) firstByteMs = performance.now() - started
        bytes += d.length
        hash.update(d)
      })
      res.on('error', reject)
      res.on('end', () =>
        resolve({ ms: performance.now() - started, firstByteMs, bytes, sha256: hash.digest('hex') }),
      )
    })
    req.end()
  })
}
