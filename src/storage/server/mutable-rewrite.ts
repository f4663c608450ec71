import { randomBytes } from 'node:crypto'
import { constants, copyFile, stat, unlink, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { renameDurable } from './durable-fs.ts'
import { MutableShareFile } from './mutable-container.ts'

/** A new version of a mutable share, complete and synced, waiting to be renamed in. */
export interface PreparedRewrite {
  tmp: string
  /** container bytes of the new version */
  size: number
  /** container bytes of the version it replaces (0 for a new share) */
  previousSize: number
}

/**
 * Makes a new version of a mutable share in `tmpDir`: a copy of `source` (or, for a new share, the
 * given container bytes) with `apply` run on it, synced to disk. Nothing in shares/ changes until
 * commitRewrite() renames it over the old version, so every change is atomic.
 */
export async function prepareMutableRewrite(
  tmpDir: string,
  source: { path: string } | { bytes: Uint8Array },
  apply: (file: MutableShareFile) => Promise<void>,
): Promise<PreparedRewrite> {
  const name = 'path' in source ? basename(source.path) : 'new'
  const tmp = join(tmpDir, `${name}.${randomBytes(8).toString('hex')}`)
  let previousSize = 0
  try {
    if ('path' in source) {
      previousSize = (await stat(source.path)).size
      await copyFile(source.path, tmp, constants.COPYFILE_FICLONE)
    } else {
      await writeFile(tmp, source.bytes, { flag: 'wx', mode: 0o644 })
    }
    const file = await MutableShareFile.open(tmp, 'r+')
    try {
      await apply(file)
      await file.handle.sync()
      return { tmp, size: (await file.handle.stat()).size, previousSize }
    } finally {
      await file.close()
    }
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}

export async function commitRewrite(prepared: PreparedRewrite, finalPath: string): Promise<void> {
  await renameDurable(prepared.tmp, finalPath)
}

export async function discardRewrite(prepared: PreparedRewrite): Promise<void> {
  await unlink(prepared.tmp).catch(() => {})
}
