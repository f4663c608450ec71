import { unlink } from 'node:fs/promises'
import { createAuthStore } from '../api/auth-store.ts'
import { createApiServer } from '../api/server.ts'
import { writeJsonAtomic } from '../util/atomic-file.ts'
import { createLogger } from '../util/logger.ts'
import { VERSION } from '../util/version.ts'
import { loadCloud, newCloud, saveCloud } from './cloud-state.ts'
import { type Config, loadConfig } from './config.ts'
import { acquireLock, DataDir } from './data-dir.ts'
import { loadOrCreateIdentity, nodeIdOf } from './identity.ts'
import { Node } from './node.ts'
import { initNode } from './offline.ts'

export interface StartOptions {
  host?: string
  p2pPort?: number
  joinPort?: number
  apiPort?: number
  apiHost?: string
  name?: string
}

export interface RunningDaemon {
  apiUrl: string
  dashboardUrl: string
  /** set on the first start of a data directory: the generated admin password, shown once */
  adminPassword?: string
  stop(): Promise<void>
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

/**
 * Starts the daemon on a data directory: takes the lock, initialises a fresh directory (identity,
 * config, admin account and a one-node cloud), starts the node and its HTTP API, and writes
 * daemon.json so the CLI finds it. Options override the configuration for this run only.
 */
export async function startDaemon(dataDirPath: string, options: StartOptions = {}): Promise<RunningDaemon> {
  const dataDir = new DataDir(dataDirPath)
  await dataDir.ensure()
  const release = await acquireLock(dataDir)
  try {
    const fresh = (await loadConfig(dataDir)) === undefined
    const init = await initNode(dataDir.root, options.name === undefined ? {} : { name: options.name })
    const stored = (await loadConfig(dataDir)) as Config
    const overrides: Partial<Config> = {
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.p2pPort !== undefined ? { p2pPort: options.p2pPort } : {}),
      ...(options.joinPort !== undefined ? { joinPort: options.joinPort } : {}),
      ...(options.apiPort !== undefined ? { apiPort: options.apiPort } : {}),
      ...(options.apiHost !== undefined ? { apiHost: options.apiHost } : {}),
    }
    const config: Config = { ...stored, ...overrides }
    if (fresh && (await loadCloud(dataDir)) === undefined) {
      await saveCloud(dataDir, newCloud(`${config.name} cloud`, Date.now()))
    }
    const logger = createLogger({ level: config.logLevel })
    const privateKey = await loadOrCreateIdentity(dataDir)
    const selfId = nodeIdOf(privateKey)
    let api = { port: config.apiPort, url: '' }
    const node = new Node(
      { dataDir, config: stored, overrides, version: VERSION, api: () => api },
      { privateKey, selfId, logger },
    )
    const auth = await createAuthStore(dataDir)
    const server = await createApiServer(
      { version: VERSION },
      { node, auth, logger: logger.child({ part: 'api' }) },
    )
    await server.listen({ host: config.apiHost, port: config.apiPort })
    const address = server.server.address()
    const port = typeof address === 'object' && address ? address.port : config.apiPort
    api = { port, url: `http://${urlHost(config.apiHost)}:${port}` }
    try {
      await node.start()
    } catch (err) {
      await server.close()
      throw err
    }
    await writeJsonAtomic(dataDir.daemon, { apiUrl: api.url, pid: process.pid })
    logger.info({ id: selfId, name: config.name, api: api.url }, 'Cloudy node started')
    let stopping: Promise<void> | undefined
    return {
      apiUrl: api.url,
      dashboardUrl: `${api.url}/`,
      ...(init.adminPassword ? { adminPassword: init.adminPassword } : {}),
      stop() {
        stopping ??= (async () => {
          await server.close().catch(() => {})
          await node.stop().catch((err: Error) => logger.warn({ err }, 'node stop failed'))
          await auth.flush().catch((err: Error) => logger.warn({ err }, 'saving the auth state failed'))
          await unlink(dataDir.daemon).catch(() => {})
          await release()
          logger.info('Cloudy node stopped')
        })()
        return stopping
      },
    }
  } catch (err) {
    await release()
    throw err
  }
}
