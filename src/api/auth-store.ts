import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { DataDir } from '../node/data-dir.ts'
import { writeFileAtomic } from '../util/atomic-file.ts'
import { CloudyError } from '../util/errors.ts'
import type { Logger } from '../util/logger.ts'
import { type AuthFile, loadAuthFile, saveAuthFile } from './auth-file.ts'
import { burnPasswordTime, hashPassword, verifyPassword } from './password-hash.ts'
import { randomSecret, safeEqual, sha256Hex } from './secrets.ts'
import { type ApiUser, createSessionStore, type SessionStore } from './session-store.ts'

const ADMIN_USERNAME = 'admin'
/** Every API token starts with this, so a leaked one is easy to recognise (and to scan for). */
const TOKEN_PREFIX = 'cloudy_'
const PASSWORD_MIN_LENGTH = 8
/** lastUsedAt of a token reaches the disk at most this often */
const LAST_USED_PERSIST_MS = 60_000

export interface TokenInfo {
  id: string
  name: string
  createdAt: number
  lastUsedAt: number | null
}

export interface CreatedToken extends TokenInfo {
  /** the token itself; shown once, only its hash is stored */
  token: string
}

export interface AuthStoreOptions {
  clock?: () => number
  /** warns when a background write (a token's lastUsedAt) fails */
  logger?: Logger
  /** idle expiry of browser sessions; default 30 minutes */
  sessionIdleMs?: number
}

/** The accounts, API tokens and browser sessions of one node. */
export interface AuthStore {
  hasAdmin(): boolean
  setAdminPassword(password: string): Promise<void>
  /** The user when the password is right; takes the same time for unknown users. */
  checkPassword(username: string, password: string): Promise<ApiUser | undefined>
  createToken(name: string): Promise<CreatedToken>
  listTokens(): TokenInfo[]
  revokeToken(id: string): Promise<TokenInfo>
  /** The token's owner and record when the token is valid (and notes its use). */
  checkToken(token: string): { user: ApiUser; token: TokenInfo } | undefined
  /** Writes what is not on disk yet (tokens' lastUsedAt) and waits for every pending write. */
  flush(): Promise<void>
  readonly sessions: SessionStore
}

type TokenRecord = AuthFile['tokens'][number]

const tokenInfo = (t: TokenRecord): TokenInfo => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
})

/** Loads auth.json of a data directory; every change is written back atomically (mode 0600). */
export async function createAuthStore(dataDir: DataDir, options: AuthStoreOptions = {}): Promise<AuthStore> {
  const clock = options.clock ?? Date.now
  const file = await loadAuthFile(dataDir)
  const persistedUse = new Map<string, number>()
  let unsavedUse = false
  let writing: Promise<void> = Promise.resolve()

  function persist(): Promise<void> {
    unsavedUse = false
    const next = writing.then(() => saveAuthFile(dataDir, file))
    writing = next.catch(() => {})
    return next
  }

  const userOf = (username: string) => file.users.find((u) => u.username === username)

  return {
    sessions: createSessionStore({ clock, idleMs: options.sessionIdleMs }),

    hasAdmin: () => userOf(ADMIN_USERNAME) !== undefined,

    async setAdminPassword(password) {
      if (password.length < PASSWORD_MIN_LENGTH || password.length > 1024) {
        throw new CloudyError(
          'INVALID_INPUT',
          `the password must have ${PASSWORD_MIN_LENGTH} to 1024 characters`,
        )
      }
      const hash = await hashPassword(password)
      const admin = userOf(ADMIN_USERNAME)
      if (admin) admin.password = hash
      else file.users.push({ username: ADMIN_USERNAME, role: 'admin', password: hash })
      await persist()
    },

    async checkPassword(username, password) {
      const user = file.users.find((u) => safeEqual(u.username, username))
      if (user === undefined) {
        await burnPasswordTime(password)
        return undefined
      }
      return (await verifyPassword(password, user.password))
        ? { username: user.username, role: user.role }
        : undefined
    },

    async createToken(name) {
      const token = randomSecret(32, TOKEN_PREFIX)
      const record: TokenRecord = {
        id: randomBytes(8).toString('hex'),
        name,
        username: ADMIN_USERNAME,
        hash: sha256Hex(token),
        createdAt: clock(),
        lastUsedAt: null,
      }
      file.tokens.push(record)
      await persist()
      return { ...tokenInfo(record), token }
    },

    listTokens: () => file.tokens.map(tokenInfo),

    async revokeToken(id) {
      const index = file.tokens.findIndex((t) => t.id === id)
      const record = file.tokens[index]
      if (record === undefined) throw new CloudyError('NOT_FOUND', `no API token with id ${id}`)
      file.tokens.splice(index, 1)
      persistedUse.delete(id)
      await persist()
      return tokenInfo(record)
    },

    checkToken(token) {
      const hash = sha256Hex(token)
      const record = file.tokens.find((t) => safeEqual(t.hash, hash))
      const owner = record && userOf(record.username)
      if (record === undefined || owner === undefined) return undefined
      const now = clock()
      record.lastUsedAt = now
      unsavedUse = true
      if (now - (persistedUse.get(record.id) ?? Number.NEGATIVE_INFINITY) >= LAST_USED_PERSIST_MS) {
        persistedUse.set(record.id, now)
        persist().catch((err: unknown) =>
          options.logger?.warn({ err }, 'could not record the use of an API token'),
        )
      }
      return { user: { username: owner.username, role: owner.role }, token: tokenInfo(record) }
    },

    async flush() {
      if (unsavedUse) await persist()
      await writing
    },
  }
}

const CLI_TOKEN_NAME = 'cli'

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
export async function initAuth(
  dataDir: DataDir,
  options: { adminPassword?: string } = {},
): Promise<InitAuthResult> {
  await dataDir.ensure()
  const store = await createAuthStore(dataDir)
  let result: InitAuthResult = { created: false }
  if (!store.hasAdmin()) {
    const password = options.adminPassword ?? randomSecret(18)
    await store.setAdminPassword(password)
    result =
      options.adminPassword === undefined ? { created: true, adminPassword: password } : { created: true }
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
