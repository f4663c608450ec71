import type { FileHandle } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { readAt } from './random-access-file.ts'

/** Reads of one stored share, from a file opened when the reader was made. */
export interface ShareReader {
  /** bytes of share data */
  readonly length: number
  /** share data; reads past the end are cut short */
  read(offset: number, length: number): Promise<Uint8Array>
  /** a stream of share data in [offset, offset + length), cut at the end of the data */
  stream(offset: number, length: number): Readable
  close(): Promise<void>
}

const STREAM_CHUNK_BYTES = 1024 * 1024

/**
 * A reader over the data of a container that starts at `dataOffset`. The file stays open until
 * close(), so a mutable share replaced meanwhile is still read consistently (the old version).
 */
export function shareReader(handle: FileHandle, dataOffset: number, length: number): ShareReader {
  const clamp = (offset: number, n: number) => Math.max(0, Math.min(n, length - offset))
  return {
    length,
    async read(offset, n) {
      const count = clamp(offset, n)
      if (count === 0) return new Uint8Array(0)
      return readAt(handle, dataOffset + offset, count)
    },
    stream(offset, n) {
      const count = clamp(offset, n)
      const start = dataOffset + offset
      return handle.createReadStream({
        start,
        end: start + Math.max(count, 1) - 1,
        highWaterMark: Math.min(STREAM_CHUNK_BYTES, Math.max(count, 1)),
        autoClose: false,
        emitClose: true,
      })
    },
    close: () => handle.close(),
  }
}
