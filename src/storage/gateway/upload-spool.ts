import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CloudyError } from '../../util/errors.ts'
import type { PlaintextSource } from '../immutable/share-io.ts'

/** A spooled upload: readable as often as the encoder needs, removed by `dispose`. */
export interface SpooledUpload extends PlaintextSource {
  dispose(): Promise<void>
}

const CIPHER = 'aes-256-ctr'

/**
 * Convergent encryption reads a file twice (once for its key, once to encrypt it), but an HTTP
 * body can be read once. The body is spooled to `dir` encrypted under a key that lives only in
 * memory and dies with the upload, so no plaintext ever reaches the gateway's disk. `maxBytes`
 * bounds the spool.
 */
export async function spoolUpload(
  body: Readable,
  dir: string,
  options: { maxBytes?: number; signal?: AbortSignal } = {},
): Promise<SpooledUpload> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, `upload-${randomBytes(8).toString('hex')}`)
  const key = randomBytes(32)
  const iv = randomBytes(16)
  let size = 0
  const limit = options.maxBytes ?? Number.POSITIVE_INFINITY
  try {
    await pipeline(
      body,
      async function* count(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length
          if (size > limit)
            throw new CloudyError('PAYLOAD_TOO_LARGE', `the upload is larger than ${limit} bytes`)
          yield chunk
        }
      },
      createCipheriv(CIPHER, key, iv),
      createWriteStream(path, { mode: 0o600 }),
      ...(options.signal ? [{ signal: options.signal }] : []),
    )
  } catch (err) {
    await rm(path, { force: true })
    throw err
  }
  return {
    size,
    open: () => createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(createDecipheriv(CIPHER, key, iv)),
    dispose: () => rm(path, { force: true }),
  }
}
