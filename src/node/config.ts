import { z } from 'zod'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.ts'
import { CloudyError } from '../util/errors.ts'
import type { DataDir } from './data-dir.ts'

const port = z.number().int().min(0).max(65535)

/** Timing of membership and the catalogue; short values in tests, defaults in docs/membership.md. */
export const TimingSchema = z.object({
  probeIntervalMs: z.number().int().positive().default(1000),
  probeTimeoutMs: z.number().int().positive().default(500),
  indirectProbes: z.number().int().min(0).default(3),
  suspicionMinMs: z.number().int().positive().default(2000),
  suspicionMaxMs: z.number().int().positive().default(6000),
  syncIntervalMs: z.number().int().positive().default(5000),
  /** how often to try to reach a member believed dead (heals partitions) */
  reconnectIntervalMs: z.number().int().positive().default(10_000),
  gossipFanout: z.number().int().positive().default(4),
  recordRefreshMs: z.number().int().positive().default(30_000),
  serviceTtlMs: z.number().int().positive().default(90_000),
  healthCheckIntervalMs: z.number().int().positive().default(10_000),
  deadRetentionMs: z
    .number()
    .int()
    .positive()
    .default(24 * 3_600_000),
})
export type Timing = z.infer<typeof TimingSchema>

/** Erasure coding of new uploads by this node's gateway (docs/storage-gateway.md). */
export const StorageEncodingSchema = z
  .object({
    /** k: shares needed to read a file */
    needed: z.number().int().min(1).max(256).default(3),
    /** servers of happiness: distinct servers an upload must reach */
    happy: z.number().int().min(1).max(256).default(7),
    /** N: shares made of each file */
    total: z.number().int().min(1).max(256).default(10),
    /** largest segment (the unit of encryption, coding and verification) */
    maxSegmentSize: z
      .number()
      .int()
      .min(4096)
      .max(64 * 1024 ** 2)
      .default(1024 ** 2),
  })
  .refine((e) => e.needed <= e.happy && e.happy <= e.total, {
    message: 'storage encoding needs needed ≤ happy ≤ total',
  })
export type StorageEncoding = z.infer<typeof StorageEncodingSchema>

export const ConfigSchema = z.object({
  v: z.literal(1).default(1),
  name: z.string().min(1).max(63),
  host: z.string().min(1).default('127.0.0.1'),
  /** the address other nodes reach this one on; defaults to host (or the first LAN address for 0.0.0.0) */
  advertiseHost: z.string().min(1).optional(),
  p2pPort: port.default(7781),
  joinPort: port.default(7782),
  apiHost: z.string().min(1).default('127.0.0.1'),
  apiPort: port.default(7780),
  microCloud: z.string().min(1).max(63).default('default'),
  mdns: z.boolean().default(true),
  /** keep a reservation on the cloud's relays so members that cannot reach this node directly can */
  useRelays: z.boolean().default(true),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  timing: TimingSchema.default(TimingSchema.parse({})),
  storage: StorageEncodingSchema.default(StorageEncodingSchema.parse({})),
  /** built-in services switched on, with their options */
  services: z
    .record(z.string(), z.object({ enabled: z.boolean(), options: z.record(z.string(), z.unknown()) }))
    .default({}),
})
export type Config = z.infer<typeof ConfigSchema>
export type ConfigInput = z.input<typeof ConfigSchema>

export async function loadConfig(dataDir: DataDir): Promise<Config | undefined> {
  const raw = await readJsonIfExists(dataDir.config)
  if (raw === undefined) return undefined
  const parsed = ConfigSchema.safeParse(raw)
  if (!parsed.success) {
    throw new CloudyError('INVALID_INPUT', `${dataDir.config} is invalid: ${z.prettifyError(parsed.error)}`)
  }
  return parsed.data
}

export async function saveConfig(dataDir: DataDir, config: Config): Promise<void> {
  await writeJsonAtomic(dataDir.config, config)
}

export function parseConfig(input: ConfigInput): Config {
  return ConfigSchema.parse(input)
}
