import { z } from 'zod'
import type { DataDir } from '../node/data-dir.ts'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.ts'
import { CloudyError } from '../util/errors.ts'
import { PasswordHashSchema } from './password-hash.ts'

/** auth.json, version 1 (docs/api.md): accounts with scrypt hashes and API tokens as SHA-256 hashes. */
const AuthFileSchema = z.object({
  v: z.literal(1),
  users: z.array(
    z.object({
      username: z.string().min(1),
      role: z.literal('admin'),
      password: PasswordHashSchema,
    }),
  ),
  tokens: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string(),
      username: z.string().min(1),
      /** hex SHA-256 of the token; the token itself is never stored */
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      createdAt: z.number(),
      lastUsedAt: z.number().nullable(),
    }),
  ),
})
export type AuthFile = z.infer<typeof AuthFileSchema>

export async function loadAuthFile(dataDir: DataDir): Promise<AuthFile> {
  const raw = await readJsonIfExists(dataDir.auth)
  if (raw === undefined) return { v: 1, users: [], tokens: [] }
  const version = (raw as { v?: unknown }).v
  if (typeof version === 'number' && version > 1) {
    throw new CloudyError('DATA_DIR_TOO_NEW', `${dataDir.auth} has version ${version}: upgrade Cloudy`)
  }
  const parsed = AuthFileSchema.safeParse(raw)
  if (!parsed.success) {
    throw new CloudyError('INVALID_INPUT', `${dataDir.auth} is invalid: ${z.prettifyError(parsed.error)}`)
  }
  return parsed.data
}

export async function saveAuthFile(dataDir: DataDir, file: AuthFile): Promise<void> {
  await writeJsonAtomic(dataDir.auth, file, 0o600)
}
