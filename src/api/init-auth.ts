import { readFile } from 'node:fs/promises'
import type { DataDir } from '../node/data-dir.ts'
import { writeFileAtomic } from '../util/atomic-file.ts'
import { type AuthStore, createAuthStore } from './auth-store.ts'
import { randomSecret } from './secrets.ts'

export const CLI_TOKEN_NAME = 'cli'

export interface InitAuthResult {
  /** false when the admin account existed already */
  created: boolean
  /** the generated admin password: returned once, stored only as a hash */
  adminPassword?: string
}

/**
 * Sets up authentication in a data directory; idempotent. The first call sets the admin password
 * (generating one when none is given) and creates the CLI's API token in dataDir.cliToken (mode
 * 0600). Later calls change nothing, except that they replace a missing or revoked CLI token.
 */
export async function initAuth(dataDir: DataDir, options: { adminPassword?: string } = {}): Promise<InitAuthResult> {
  await dataDir.ensure()
  const store = await createAuthStore(dataDir)
  let result: InitAuthResult = { created: false }
  if (!store.hasAdmin()) {
    const password = options.adminPassword ?? randomSecret(18)
    await store.setAdminPassword(password)
    result = options.adminPassword === undefined ? { created: true, adminPassword: password } : { created: true }
  }
  await ensureCliToken(dataDir, store)
  await store.flush()
  return result
}

async function ensureCliToken(dataDir: DataDir, store: AuthStore): Promise<void> {
  const current = (await readFile(dataDir.cliToken, 'utf8').catch(() => '')).trim()
  if (current !== '' && store.checkToken(current) !== undefined) return
  for (const token of store.listTokens()) {
    if (token.name === CLI_TOKEN_NAME) await store.revokeToken(token.id)
  }
  const { token } = await store.createToken(CLI_TOKEN_NAME)
  await writeFileAtomic(dataDir.cliToken, `${token}\n`, 0o600)
}
