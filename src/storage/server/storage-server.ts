import type { Logger } from '../../util/logger.ts'
import type { BodyLimits } from './http-routes.ts'
import { createStorageHttpServer, type StorageHttpServer } from './http-server.ts'
import { StorageCore, type StorageCoreComponents, type StorageCoreInit } from './storage-core.ts'
import { loadOrCreateSwissnum } from './swissnum.ts'
import { loadOrCreateTlsIdentity } from './tls-identity.ts'

export interface StorageServerInit extends StorageCoreInit {
  host: string
  port: number
  advertisedHost?: string
  /** the NURL's swissnum; unset: the one kept in the storage directory (made once) */
  swissnum?: string
  limits?: Partial<BodyLimits>
}

export interface StorageServer {
  core: StorageCore
  http: StorageHttpServer
  port: number
  /** a credential: never log it */
  nurl: string
  close(): Promise<void>
}

/**
 * A whole storage server on one directory: the core, the TLS identity and swissnum kept beside the
 * shares, and the HTTPS adapter listening. For the composition root, tests and benchmarks.
 */
export async function startStorageServer(
  init: StorageServerInit,
  components: StorageCoreComponents & { logger: Logger },
): Promise<StorageServer> {
  const core = await StorageCore.open(init, components)
  try {
    const tls = await loadOrCreateTlsIdentity(init.directory)
    const swissnum = init.swissnum ?? (await loadOrCreateSwissnum(init.directory))
    const http = createStorageHttpServer(
      {
        host: init.host,
        port: init.port,
        swissnum,
        tls,
        ...(init.advertisedHost !== undefined && { advertisedHost: init.advertisedHost }),
        ...(init.limits !== undefined && { limits: init.limits }),
      },
      { core, logger: components.logger },
    )
    const { port, nurl } = await http.listen()
    return {
      core,
      http,
      port,
      nurl,
      async close() {
        await http.close()
        await core.close()
      },
    }
  } catch (err) {
    await core.close()
    throw err
  }
}
