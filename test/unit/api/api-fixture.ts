import { mkdtemp, readFile, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import type { ApiApp } from '../../../src/api/api-app.ts'
import { type AuthStore, createAuthStore, initAuth } from '../../../src/api/auth-store.ts'
import { type ApiServerInit, createApiServer } from '../../../src/api/server.ts'
import { DataDir } from '../../../src/node/data-dir.ts'
import { type Logger, silentLogger } from '../../../src/util/logger.ts'
import { FakeNode } from './fake-node.ts'

export const ADMIN_PASSWORD = 'correct horse battery staple'

export interface TestApi {
  app: ApiApp
  node: FakeNode
  auth: AuthStore
  dataDir: DataDir
  /** the CLI token initAuth wrote */
  token: string
  bearer: { authorization: string }
  close(): Promise<void>
}

/** An API server over a fake node and a real auth store in a fresh data directory. */
export async function createTestApi(
  options: { init?: Partial<ApiServerInit>; logger?: Logger; clock?: () => number } = {},
): Promise<TestApi> {
  const dataDir = new DataDir(await mkdtemp(join(tmpdir(), 'cloudy-api-')))
  await initAuth(dataDir, { adminPassword: ADMIN_PASSWORD })
  const token = (await readFile(dataDir.cliToken, 'utf8')).trim()
  const auth = await createAuthStore(dataDir, { clock: options.clock })
  const node = new FakeNode()
  const app = createApiServer(
    { version: '0.1.0-test', ...options.init },
    { node, auth, logger: options.logger ?? silentLogger(), metrics: new Registry() },
  )
  await app.ready()
  return {
    app,
    node,
    auth,
    dataDir,
    token,
    bearer: { authorization: `Bearer ${token}` },
    async close() {
      await app.close()
      await auth.flush()
      await rm(dataDir.root, { recursive: true, force: true })
    },
  }
}

/** Logs in as admin; returns the cookie header and CSRF token for later requests. */
export async function login(app: ApiApp): Promise<{ cookie: string; csrfToken: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: 'admin', password: ADMIN_PASSWORD },
  })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  const setCookie = String(res.headers['set-cookie'])
  return { cookie: setCookie.split(';')[0] as string, csrfToken: res.json().csrfToken }
}

/** The port of the server on 127.0.0.1, listening first if it does not yet. */
export async function listeningPort(app: ApiApp): Promise<number> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}
