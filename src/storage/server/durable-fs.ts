import { mkdir, open, rename, rm, rmdir, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

/** fsyncs a directory, so that the names created, renamed or removed in it survive a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/** mkdir -p, syncing the parent of every directory it creates. */
export async function makeDirectoryDurable(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true })
  if (first === undefined) return
  // mkdir returns the first directory it created; sync the parents from there down
  let dir = path
  const created: string[] = []
  while (dir.length >= first.length) {
    created.push(dir)
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  for (const d of created.reverse()) await syncDirectory(dirname(d))
}

/** Renames atomically and syncs the directories involved, so the rename survives a crash. */
export async function renameDurable(from: string, to: string): Promise<void> {
  await makeDirectoryDurable(dirname(to))
  await rename(from, to)
  await syncDirectory(dirname(to))
  if (dirname(from) !== dirname(to)) await syncDirectory(dirname(from))
}

/** Removes a file and syncs its directory. */
export async function unlinkDurable(path: string): Promise<void> {
  await unlink(path)
  await syncDirectory(dirname(path))
}

/** Removes a directory if it is empty; quietly does nothing otherwise. */
export async function removeIfEmpty(path: string): Promise<boolean> {
  try {
    await rmdir(path)
    return true
  } catch {
    return false
  }
}

export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true })
}
