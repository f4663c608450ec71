import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DiskFree } from '../../../../src/storage/server/space-accounting.ts'
import {
  type StorageServer,
  type StorageServerInit,
  startStorageServer,
} from '../../../../src/storage/server/storage-server.ts'
import { silentLogger } from '../../../../src/util/logger.ts'

export interface TestServer extends StorageServer {
  dir: string
  /** stops the server and removes its directory */
  destroy(): Promise<void>
}

/** A storage server on 127.0.0.1, port 0, in a fresh temp directory. */
export async function startTestServer(
  init: Partial<StorageServerInit> = {},
  components: { diskFree?: DiskFree; clock?: () => number } = {},
): Promise<TestServer> {
  const dir = init.directory ?? (await mkdtemp(join(tmpdir(), 'cloudy-storage-')))
  const server = await startStorageServer(
    { host: '127.0.0.1', port: 0, ...init, directory: dir },
    { logger: silentLogger(), ...components },
  )
  return {
    ...server,
    dir,
    async destroy() {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export const secret32 = () => randomBytes(32)
export const storageIndex = () => randomBytes(16)
