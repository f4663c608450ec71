import { join } from 'node:path'
import { z } from 'zod'
import type { ServiceView } from '../catalogue/types.ts'
import type { StorageServerInfo } from '../storage/gateway/server-selection.ts'
import type { StorageCore } from '../storage/server/storage-core.ts'
import { startStorageServer } from '../storage/server/storage-server.ts'
import { base32Decode, base32Encode, isBase32 } from '../storage/util/base32.ts'
import { parseSize } from '../util/duration.ts'
import { CloudyError } from '../util/errors.ts'
import { VERSION } from '../util/version.ts'
import type { BuiltinServiceDefinition } from './builtin-services.ts'

// The storage server as a built-in service (docs/storage-server.md): Tahoe-LAFS's HTTP storage
// protocol on this node's disk, announced in the catalogue instead of Tahoe's introducer.

export const STORAGE_TYPE = 'storage'
/** version of the storage record's txt fields (docs/storage-gateway.md) */
const RECORD_VERSION = '1'
const SERVER_ID_BYTES = 20

const Size = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  try {
    return typeof value === 'number' ? value : parseSize(value)
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a size such as 500MB or 20GB` })
    return z.NEVER
  }
})

const StorageOptions = z
  .object({
    /** bytes of shares this node offers the cloud; 0: what the disk allows */
    capacity: Size.default(0),
    /** bytes always left free on the disk */
    reserved: Size.default(1024 ** 3),
    /** HTTPS port of the storage protocol; 0 for any free port */
    port: z.number().int().min(0).max(65535).default(0),
  })
  .strict()

export type StorageOptionsValue = z.infer<typeof StorageOptions>

function storageOptions(options: Record<string, unknown>): StorageOptionsValue {
  const parsed = StorageOptions.safeParse(options)
  if (!parsed.success) {
    throw new CloudyError('INVALID_INPUT', `options of storage: ${z.prettifyError(parsed.error)}`)
  }
  return parsed.data
}

/** What the API and the catalogue record need of a running storage server. */
export interface StorageServerApi {
  /** a credential: never log it, never mirror it to DNS-SD */
  nurl: string
  /** 20 bytes: the server's id for leases and the permuted ring (Tahoe's tub id) */
  serverId: Uint8Array
  core: StorageCore
  options: StorageOptionsValue
}

export const STORAGE_SERVICE: BuiltinServiceDefinition<StorageServerApi> = {
  name: 'storage',
  description: 'Tahoe-LAFS-compatible storage server: holds encrypted shares of the cloud’s files',
  restartsOverlay: false,
  parseOptions(options) {
    return storageOptions(options)
  },
  async start(ctx) {
    const options = storageOptions(ctx.options)
    const server = await startStorageServer(
      {
        directory: join(ctx.dataDir, 'storage'),
        host: ctx.host,
        port: options.port,
        advertisedHost: ctx.advertiseHost,
        ...(options.capacity > 0 && { capacity: options.capacity }),
        reservedSpace: options.reserved,
        applicationVersion: `cloudy/${VERSION}`,
      },
      { logger: ctx.logger },
    )
    const { events } = server.core
    const unsubscribe = [
      events.on('share:write-received', ({ storageIndex, shareNumber }) =>
        ctx.events.emit('share:write-received', { storageIndex, shareNumber }),
      ),
      events.on('share:stored', ({ storageIndex, shareNumber, size }) =>
        ctx.events.emit('share:stored', { storageIndex, shareNumber, size }),
      ),
      events.on('corruption:reported', ({ storageIndex, shareNumber, reason }) =>
        ctx.events.emit('corruption:reported', { storageIndex, shareNumber, reason }),
      ),
    ]
    return {
      port: server.port,
      api: { nurl: server.nurl, serverId: server.core.nodeId, core: server.core, options },
      async stop() {
        for (const off of unsubscribe) off()
        await server.close()
      },
    }
  },
  record: ({ port, api }) =>
    api === undefined
      ? undefined
      : {
          type: STORAGE_TYPE,
          port,
          description: 'Cloudy storage server (Tahoe-LAFS HTTP storage protocol)',
          txt: { v: RECORD_VERSION, nurl: api.nurl, id: base32Encode(api.serverId) },
        },
}

/**
 * The storage servers announced in the catalogue, as the gateway uses them. Records of another
 * version or with missing fields are skipped.
 */
export function storageServersOf(services: readonly ServiceView[]): StorageServerInfo[] {
  const out: StorageServerInfo[] = []
  for (const s of services) {
    const { v, nurl, id } = s.txt
    if (s.type !== STORAGE_TYPE || v !== RECORD_VERSION || !nurl || !id || !isBase32(id, SERVER_ID_BYTES))
      continue
    const serverId = base32Decode(id, SERVER_ID_BYTES)
    out.push({ id: s.node, name: s.nodeName, nurl, permutationSeed: serverId, leaseSeed: serverId })
  }
  return out
}
