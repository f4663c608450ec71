import { open, stat } from 'node:fs/promises'
import { isImmutableContainerHeader } from './immutable-container.ts'
import { mutableContainerVersion } from './mutable-container.ts'
import { readAt } from './random-access-file.ts'
import { bucketPath, type StorageLayout, shareFilesIn, sharePath } from './storage-layout.ts'
import { storageServerError, storageServerErrorKind } from './storage-server-error.ts'
import type { ShareKind } from './types.ts'

/** Share numbers of one kind held for a storage index (a container's first bytes tell its kind). */
export async function sharesOfKind(layout: StorageLayout, si: string, kind: ShareKind): Promise<number[]> {
  const out: number[] = []
  for (const n of await shareFilesIn(bucketPath(layout, si))) {
    const first = await readFirstBytes(sharePath(layout, si, n))
    if (first === undefined) continue
    const isKind =
      kind === 'immutable' ? isImmutableContainerHeader(first) : mutableContainerVersion(first) !== undefined
    if (isKind) out.push(n)
  }
  return out
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

async function readFirstBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    const h = await open(path, 'r')
    try {
      return await readAt(h, 0, 32)
    } finally {
      await h.close()
    }
  } catch {
    return undefined
  }
}

/** A missing or unreadable share file as NOT_FOUND; any other error as it is. */
export function notFoundOr(err: unknown, message: string): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR')
    return storageServerError('NOT_FOUND', message)
  if (storageServerErrorKind(err) === 'CORRUPT_CONTAINER') return storageServerError('NOT_FOUND', message)
  return err
}
