import type { AbortOptions, Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { CloudyError } from '../util/errors.ts'

/** The largest frame written, and by default the largest read (docs/overlay.md). */
export const MAX_FRAME_BYTES = 1024 * 1024

/**
 * One stream carrying varint-length-prefixed UTF-8 JSON frames. Oversized frames are refused on both
 * sides: the writer throws PAYLOAD_TOO_LARGE before sending, the reader throws PAYLOAD_TOO_LARGE on
 * the length prefix without reading the body.
 */
export interface JsonFrameStream {
  read(options?: AbortOptions): Promise<unknown>
  write(value: unknown, options?: AbortOptions): Promise<void>
}

export function jsonFrameStream(stream: Stream, maxReadBytes = MAX_FRAME_BYTES): JsonFrameStream {
  const lp: LengthPrefixedStream<Stream> = lpStream(stream, { maxDataLength: maxReadBytes })
  return {
    async read(options) {
      let bytes: Uint8Array
      try {
        bytes = (await lp.read(options)).subarray()
      } catch (err) {
        const name = (err as Error).name
        if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') {
          throw new CloudyError(
            'PAYLOAD_TOO_LARGE',
            `frame refused: larger than the ${maxReadBytes}-byte limit`,
          )
        }
        throw err
      }
      try {
        return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
      } catch {
        throw new CloudyError('INVALID_INPUT', 'frame refused: not UTF-8 JSON')
      }
    },
    async write(value, options) {
      const bytes = new TextEncoder().encode(JSON.stringify(value))
      if (bytes.byteLength > MAX_FRAME_BYTES) {
        throw new CloudyError(
          'PAYLOAD_TOO_LARGE',
          `message too large: ${bytes.byteLength} bytes exceeds the ${MAX_FRAME_BYTES}-byte frame limit`,
        )
      }
      await lp.write(bytes, options)
    },
  }
}
