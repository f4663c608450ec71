import { unlink } from 'node:fs/promises'
import { z } from 'zod'
import {
  cloudKeyFingerprint,
  decodeCloudKey,
  encodeCloudKey,
  generateCloudKey,
  newCloudId,
} from '../net/cloud-key.ts'
import type { JoinGrant } from '../net/join-service.ts'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.ts'
import { CloudyError } from '../util/errors.ts'
import type { DataDir } from './data-dir.ts'
import type { CloudInfo } from './types.ts'

const PeerSchema = z.object({ id: z.string(), addrs: z.array(z.string()) })

const CloudFileSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  name: z.string().min(1),
  /** the cloud key, base64 (docs/overlay.md); the file is mode 0600 */
  key: z.string().min(1),
  joinedAt: z.number().int(),
  /** members to contact first after a restart */
  peers: z.array(PeerSchema).default([]),
  settings: z.record(z.string(), z.unknown()).default({}),
})
export type CloudFile = z.infer<typeof CloudFileSchema>

/** A new cloud with a fresh key, of which this node is the first member. */
export function newCloud(name: string, now: number): CloudFile {
  return {
    v: 1,
    id: newCloudId(),
    name,
    key: encodeCloudKey(generateCloudKey()),
    joinedAt: now,
    peers: [],
    settings: {},
  }
}

/** The cloud a member granted in the join handshake. */
export function cloudFromGrant(grant: JoinGrant, now: number): CloudFile {
  decodeCloudKey(grant.cloudKey)
  return {
    v: 1,
    id: grant.cloudId,
    name: grant.cloudName,
    key: grant.cloudKey,
    joinedAt: now,
    peers: grant.members,
    settings: grant.settings,
  }
}

export async function loadCloud(dataDir: DataDir): Promise<CloudFile | undefined> {
  const raw = await readJsonIfExists(dataDir.cloud)
  if (raw === undefined) return undefined
  const parsed = CloudFileSchema.safeParse(raw)
  if (!parsed.success)
    throw new CloudyError('INVALID_INPUT', `${dataDir.cloud} is invalid: ${z.prettifyError(parsed.error)}`)
  decodeCloudKey(parsed.data.key)
  return parsed.data
}

export async function saveCloud(dataDir: DataDir, cloud: CloudFile): Promise<void> {
  await writeJsonAtomic(dataDir.cloud, cloud)
}

export async function removeCloud(dataDir: DataDir): Promise<void> {
  await unlink(dataDir.cloud).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

export function cloudInfo(cloud: CloudFile): CloudInfo {
  return {
    id: cloud.id,
    name: cloud.name,
    keyFingerprint: cloudKeyFingerprint(decodeCloudKey(cloud.key)),
    joinedAt: cloud.joinedAt,
  }
}

export const CLOUD_NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,62}$/u

export function validateCloudName(name: string): string {
  const trimmed = name.trim()
  if (!CLOUD_NAME_RE.test(trimmed)) {
    throw new CloudyError(
      'INVALID_INPUT',
      `"${name}" is not a valid cloud name: use 1-63 letters, digits, spaces, dots, hyphens or underscores`,
    )
  }
  return trimmed
}
