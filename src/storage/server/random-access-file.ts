import type { FileHandle } from 'node:fs/promises'

/**
 * Positional reads and writes on an open file, each done completely: Node's FileHandle.read and
 * write may transfer fewer bytes than asked, these loop until all are done (reads stop at the end
 * of the file).
 */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(length)
  let done = 0
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done)
    if (bytesRead === 0) break
    done += bytesRead
  }
  return done === length ? out : out.subarray(0, done)
}

export async function writeAt(handle: FileHandle, position: number, data: Uint8Array): Promise<void> {
  let done = 0
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done)
    done += bytesWritten
  }
}

/** Writes several buffers back to back at `position` with one writev (looping on a short write). */
export async function writevAt(
  handle: FileHandle,
  position: number,
  parts: readonly Uint8Array[],
): Promise<void> {
  let total = 0
  for (const p of parts) total += p.length
  const { bytesWritten } = await handle.writev(parts as Uint8Array[], position)
  if (bytesWritten < total) {
    await writeAt(handle, position + bytesWritten, Buffer.concat(parts).subarray(bytesWritten))
  }
}

export function u32(value: number): Uint8Array {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(value)
  return b
}

export function u64(value: number): Uint8Array {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(value))
  return b
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(offset)
}

/** Reads a big-endian u64 that must fit a JS safe integer (share sizes and offsets do). */
export function readU64(bytes: Uint8Array, offset: number): number {
  const v = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readBigUInt64BE(offset)
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('a 64-bit field is beyond 2^53')
  return Number(v)
}
