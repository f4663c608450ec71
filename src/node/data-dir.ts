import { mkdir, open, readFile, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.ts'
import { CloudyError } from '../util/errors.ts'

/** Version of the data directory layout (docs/data-dir.md). Bump and migrate on any change. */
export const DATA_DIR_FORMAT = 1

export function defaultDataDir(): string {
  return process.env.CLOUDY_DATA_DIR ?? join(homedir(), '.cloudy')
}

/** Paths of everything in a data directory; the one place that knows the layout. */
export class DataDir {
  readonly root: string

  constructor(root: string) {
    this.root = resolve(root)
  }

  get format(): string {
    return join(this.root, 'format.json')
  }
  get config(): string {
    return join(this.root, 'config.json')
  }
  get identity(): string {
    return join(this.root, 'identity.key')
  }
  get cloud(): string {
    return join(this.root, 'cloud.json')
  }
  get auth(): string {
    return join(this.root, 'auth.json')
  }
  get cliToken(): string {
    return join(this.root, 'cli-token')
  }
  get invites(): string {
    return join(this.root, 'invites.json')
  }
  get peers(): string {
    return join(this.root, 'peers.json')
  }
  get daemon(): string {
    return join(this.root, 'daemon.json')
  }
  get lock(): string {
    return join(this.root, 'daemon.lock')
  }

  /** Creates the directory (mode 0700) and its format marker; refuses a newer format. */
  async ensure(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 })
    const marker = (await readJsonIfExists(this.format)) as { format?: unknown } | undefined
    if (marker === undefined) {
      await writeJsonAtomic(this.format, { format: DATA_DIR_FORMAT })
      return
    }
    if (typeof marker.format !== 'number') {
      throw new CloudyError('DATA_DIR_TOO_NEW', `${this.format} is not a Cloudy format marker`)
    }
    if (marker.format > DATA_DIR_FORMAT) {
      throw new CloudyError(
        'DATA_DIR_TOO_NEW',
        `the data directory ${this.root} has format ${marker.format}, but this Cloudy reads up to ${DATA_DIR_FORMAT}: upgrade Cloudy`,
      )
    }
  }

  async exists(): Promise<boolean> {
    return (await readJsonIfExists(this.format)) !== undefined
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes the daemon lock of a data directory: a file holding the owner's pid, created exclusively.
 * A lock left by a dead process is taken over. Returns a release function.
 */
export async function acquireLock(dataDir: DataDir): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(dataDir.lock, 'wx', 0o600)
      await handle.writeFile(`${process.pid}\n`)
      await handle.sync()
      await handle.close()
      return async () => {
        await unlink(dataDir.lock).catch(() => {})
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(await readFile(dataDir.lock, 'utf8').catch(() => ''), 10)
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new CloudyError(
          'DATA_DIR_LOCKED',
          `a Cloudy daemon (pid ${pid}) already runs on ${dataDir.root}; stop it first or use another --data-dir`,
        )
      }
      await unlink(dataDir.lock).catch(() => {})
    }
  }
  throw new CloudyError('DATA_DIR_LOCKED', `could not take the lock ${dataDir.lock}`)
}

/** The pid in the lock file when that process is alive, else undefined. */
export async function lockOwner(dataDir: DataDir): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(dataDir.lock, 'utf8').catch(() => ''), 10)
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined
}
