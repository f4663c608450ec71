import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createAuthStore, initAuth } from '../../../src/api/auth-store.ts'
import { DataDir } from '../../../src/node/data-dir.ts'

let dataDir: DataDir
beforeEach(async () => {
  dataDir = new DataDir(await mkdtemp(join(tmpdir(), 'cloudy-auth-')))
})
afterEach(() => rm(dataDir.root, { recursive: true, force: true }))

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('initAuth', () => {
  test('generates the admin password once, returns it once, and writes the CLI token (0600)', async () => {
    const first = await initAuth(dataDir)
    expect(first.created).toBe(true)
    expect(first.adminPassword).toMatch(/^[\w-]{24}$/)
    expect(await mode(dataDir.auth)).toBe(0o600)
    expect(await mode(dataDir.cliToken)).toBe(0o600)
    const token = (await readFile(dataDir.cliToken, 'utf8')).trim()

    const again = await initAuth(dataDir, { adminPassword: 'another password' })
    expect(again).toEqual({ created: false })
    expect((await readFile(dataDir.cliToken, 'utf8')).trim()).toBe(token)

    const store = await createAuthStore(dataDir)
    expect(await store.checkPassword('admin', first.adminPassword as string)).toEqual({
      username: 'admin',
      role: 'admin',
    })
    expect(store.checkToken(token)?.token.name).toBe('cli')
  })

  test('keeps no secret in clear: auth.json holds a scrypt hash and token hashes only', async () => {
    await initAuth(dataDir, { adminPassword: 'a given password' })
    const token = (await readFile(dataDir.cliToken, 'utf8')).trim()
    const file = await readFile(dataDir.auth, 'utf8')
    expect(file).not.toContain('a given password')
    expect(file).not.toContain(token)
    expect(JSON.parse(file).users[0].password).toMatchObject({ alg: 'scrypt', N: 32768, r: 8, p: 1 })
  })

  test('a given password is not echoed back; a too short one is refused', async () => {
    expect(await initAuth(dataDir, { adminPassword: 'long enough' })).toEqual({ created: true })
    const other = new DataDir(join(dataDir.root, 'other'))
    await expect(initAuth(other, { adminPassword: 'short' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  test('replaces a lost CLI token and revokes the old one', async () => {
    await initAuth(dataDir)
    const old = (await readFile(dataDir.cliToken, 'utf8')).trim()
    await unlink(dataDir.cliToken)
    expect((await initAuth(dataDir)).created).toBe(false)
    const fresh = (await readFile(dataDir.cliToken, 'utf8')).trim()
    expect(fresh).not.toBe(old)
    const store = await createAuthStore(dataDir)
    expect(store.checkToken(old)).toBeUndefined()
    expect(store.listTokens().map((t) => t.name)).toEqual(['cli'])
  })
})

describe('auth store', () => {
  test('checks passwords: right one, wrong one, unknown user', async () => {
    await initAuth(dataDir, { adminPassword: 'the right password' })
    const store = await createAuthStore(dataDir)
    expect(await store.checkPassword('admin', 'the right password')).toBeDefined()
    expect(await store.checkPassword('admin', 'the wrong password')).toBeUndefined()
    expect(await store.checkPassword('nobody', 'the right password')).toBeUndefined()
  })

  test('tokens: created with a prefix, checked, listed with last use, revoked; changes survive a reload', async () => {
    let now = 1_000_000
    const store = await createAuthStore(dataDir, { clock: () => now })
    await store.setAdminPassword('the admin password')
    const created = await store.createToken('grafana')
    expect(created).toMatchObject({ name: 'grafana', createdAt: now, lastUsedAt: null })
    expect(created.token.startsWith('cloudy_')).toBe(true)

    now += 5000
    expect(store.checkToken(created.token)?.token.lastUsedAt).toBe(now)
    expect(store.checkToken(`${created.token}x`)).toBeUndefined()
    await store.flush()
    const reloaded = await createAuthStore(dataDir)
    expect(reloaded.listTokens()).toEqual([
      { id: created.id, name: 'grafana', createdAt: 1_000_000, lastUsedAt: now },
    ])

    await reloaded.revokeToken(created.id)
    expect(reloaded.checkToken(created.token)).toBeUndefined()
    await expect(reloaded.revokeToken(created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect((await createAuthStore(dataDir)).listTokens()).toEqual([])
  })

  test('refuses an auth.json from a newer Cloudy', async () => {
    await writeFile(dataDir.auth, JSON.stringify({ v: 2, users: [], tokens: [] }))
    await expect(createAuthStore(dataDir)).rejects.toMatchObject({ code: 'DATA_DIR_TOO_NEW' })
  })
})
