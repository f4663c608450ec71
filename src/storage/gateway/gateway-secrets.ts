import { randomBytes } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../util/atomic-file.ts'
import { LEASE_SECRET_BYTES } from './lease-secrets.ts'

export interface GatewaySecrets {
  /** 16 bytes: the same file with the same secret gets the same cap */
  convergenceSecret: Uint8Array
  /** 32 bytes: every lease this gateway takes is derived from it */
  leaseSecret: Uint8Array
}

const CONVERGENCE_BYTES = 16

async function loadOrCreate(path: string, bytes: number): Promise<Uint8Array> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (text !== undefined) {
    const value = Buffer.from(text.trim(), 'hex')
    if (value.length !== bytes) throw new Error(`${path} must hold ${bytes} bytes in hex`)
    return value
  }
  const value = randomBytes(bytes)
  await writeFileAtomic(path, `${value.toString('hex')}\n`, 0o600)
  return value
}

/**
 * The gateway's secrets, made once and kept in `<dir>/convergence` and `<dir>/lease-secret`
 * (hex, mode 600; docs/data-dir.md). Losing the lease secret only means leases cannot be renewed
 * by this node; losing the convergence secret only ends deduplication with earlier uploads.
 */
export async function loadOrCreateGatewaySecrets(dir: string): Promise<GatewaySecrets> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  return {
    convergenceSecret: await loadOrCreate(join(dir, 'convergence'), CONVERGENCE_BYTES),
    leaseSecret: await loadOrCreate(join(dir, 'lease-secret'), LEASE_SECRET_BYTES),
  }
}
