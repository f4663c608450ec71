import type { DataDir } from '../node/data-dir.ts'
import { isCloudyError } from '../util/errors.ts'
import { type ApiClient, connectApi } from './api-client.ts'

/**
 * For the commands that work with or without a daemon (init, cloud create, join): through the
 * daemon's API while one runs on the data directory, else on the directory itself.
 */
export async function viaDaemonOrOffline<T>(
  dataDir: DataDir,
  online: (api: ApiClient) => Promise<T>,
  offline: () => Promise<T>,
): Promise<T> {
  let api: ApiClient
  try {
    api = await connectApi(dataDir)
  } catch (err) {
    if (isCloudyError(err) && err.code === 'DAEMON_NOT_RUNNING') return offline()
    throw err
  }
  return online(api)
}
