import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../util/atomic-file.ts'
import { CloudyError } from '../../util/errors.ts'
import { base32Decode, base32Encode, isBase32 } from '../util/base32.ts'
import { removeTree } from './durable-fs.ts'
import { NODE_ID_BYTES } from './mutable-container.ts'
import { isStorageIndexText } from './storage-index.ts'

/**
 * The storage directory (docs/storage-server.md), laid out like a Tahoe-LAFS node's `storage/` so
 * share files and whole directories move between Tahoe and Cloudy:
 *
 *   format                          the layout version of this directory
 *   node-id                         the 20-byte id written into mutable containers (base32)
 *   shares/<si[0:2]>/<si>/<shnum>   complete shares (Tahoe immutable v2 / mutable v2 containers)
 *   shares/incoming/<si[0:2]>/<si>/<shnum>   immutable uploads in progress (removed on start)
 *   shares/incoming/tmp/            new versions of mutable shares before they are renamed in
 *   corruption-advisories/          corruption reports from clients, one file each
 */
export const STORAGE_LAYOUT_VERSION = 1
const FORMAT_PREFIX = 'cloudy-storage-layout '

export interface StorageLayout {
  root: string
  shares: string
  incoming: string
  tmp: string
  advisories: string
}

export function storageLayout(root: string): StorageLayout {
  const shares = join(root, 'shares')
  const incoming = join(shares, 'incoming')
  return {
    root,
    shares,
    incoming,
    tmp: join(incoming, 'tmp'),
    advisories: join(root, 'corruption-advisories'),
  }
}

export function bucketPath(layout: StorageLayout, si: string): string {
  return join(layout.shares, si.slice(0, 2), si)
}

export function sharePath(layout: StorageLayout, si: string, shareNumber: number): string {
  return join(bucketPath(layout, si), String(shareNumber))
}

export function incomingPath(layout: StorageLayout, si: string, shareNumber: number): string {
  return join(layout.incoming, si.slice(0, 2), si, String(shareNumber))
}

/**
 * Creates the directory or checks its layout version, then drops every incomplete upload (the
 * upload secrets that would let a client resume them lived in memory only; Tahoe does the same).
 */
export async function prepareStorageDirectory(layout: StorageLayout): Promise<void> {
  await mkdir(layout.root, { recursive: true, mode: 0o700 })
  const formatFile = join(layout.root, 'format')
  let text: string | undefined
  try {
    text = await readFile(formatFile, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (text === undefined) {
    await writeFileAtomic(
      formatFile,
      `${FORMAT_PREFIX}${STORAGE_LAYOUT_VERSION}\nTahoe-LAFS 1.20 share containers; see Cloudy's docs/storage-server.md\n`,
      0o644,
    )
  } else {
    const version = Number(
      text.startsWith(FORMAT_PREFIX) ? text.slice(FORMAT_PREFIX.length).split('\n')[0] : NaN,
    )
    if (!Number.isInteger(version)) {
      throw new CloudyError('INVALID_INPUT', `${formatFile} is not a Cloudy storage layout file`)
    }
    if (version > STORAGE_LAYOUT_VERSION) {
      throw new CloudyError(
        'DATA_DIR_TOO_NEW',
        `${layout.root} has storage layout ${version}; this Cloudy reads up to ${STORAGE_LAYOUT_VERSION}`,
      )
    }
  }
  await removeTree(layout.incoming)
  await mkdir(layout.tmp, { recursive: true })
  await mkdir(layout.advisories, { recursive: true })
}

/** The node id kept in `node-id`, made at random the first time unless one is given. */
export async function loadOrCreateNodeId(layout: StorageLayout, given?: Uint8Array): Promise<Uint8Array> {
  const file = join(layout.root, 'node-id')
  if (given !== undefined) {
    if (given.length !== NODE_ID_BYTES) throw new CloudyError('INVALID_INPUT', 'a node id is 20 bytes')
    return given
  }
  try {
    const text = (await readFile(file, 'utf8')).trim()
    if (isBase32(text, NODE_ID_BYTES)) return base32Decode(text, NODE_ID_BYTES)
    throw new CloudyError('INVALID_INPUT', `${file} does not hold 20 bytes of base32`)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const id = randomBytes(NODE_ID_BYTES)
  await writeFileAtomic(file, `${base32Encode(id)}\n`, 0o644)
  return id
}

/** Share numbers present as files in a bucket directory (names that are decimal numbers). */
export async function shareFilesIn(dir: string): Promise<number[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  return names
    .filter((n) => /^(0|[1-9][0-9]{0,2})$/.test(n))
    .map(Number)
    .sort((a, b) => a - b)
}

/** Counts the share files under shares/ and their bytes (at start; kept up to date afterwards). */
export async function scanShares(layout: StorageLayout): Promise<{ shares: number; bytes: number }> {
  let shares = 0
  let bytes = 0
  for (const prefix of await readdir(layout.shares).catch(() => [] as string[])) {
    if (prefix.length !== 2) continue
    for (const si of await readdir(join(layout.shares, prefix)).catch(() => [] as string[])) {
      if (!isStorageIndexText(si)) continue
      const dir = join(layout.shares, prefix, si)
      for (const n of await shareFilesIn(dir)) {
        const s = await stat(join(dir, String(n))).catch(() => undefined)
        if (s?.isFile()) {
          shares++
          bytes += s.size
        }
      }
    }
  }
  return { shares, bytes }
}
