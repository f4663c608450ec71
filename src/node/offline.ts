import { hostname } from 'node:os'
import { initAuth } from '../api/auth-store.ts'
import { decodeInvite, isInviteExpired } from '../net/invite.ts'
import { requestJoin } from '../net/join-service.ts'
import { CloudyError } from '../util/errors.ts'
import { createLogger } from '../util/logger.ts'
import {
  cloudFromGrant,
  cloudInfo,
  loadCloud,
  newCloud,
  saveCloud,
  validateCloudName,
} from './cloud-state.ts'
import { type Config, loadConfig, parseConfig, saveConfig } from './config.ts'
import { DataDir, lockOwner } from './data-dir.ts'
import { loadOrCreateIdentity, nodeIdOf } from './identity.ts'
import type { CloudInfo } from './types.ts'

// Entry points the CLI calls on a data directory without a running daemon.

export interface InitResult {
  dataDir: string
  id: string
  name: string
  /** false when the data dir was already initialised (init is idempotent) */
  created: boolean
  /** the admin password when init generated one: shown once, never stored in clear */
  adminPassword?: string
}

/** A default node name: the host name, cut to what a node name allows. */
export function defaultNodeName(): string {
  const name = hostname()
    .replace(/[^\p{L}\p{N}._-]/gu, '-')
    .slice(0, 63)
  return /^[\p{L}\p{N}]/u.test(name) ? name : `node-${name}`.slice(0, 63)
}

/** Creates the node identity, configuration and admin account; does nothing that already exists. */
export async function initNode(
  dataDirPath: string,
  options: { name?: string; adminPassword?: string } = {},
): Promise<InitResult> {
  const dataDir = new DataDir(dataDirPath)
  await dataDir.ensure()
  const key = await loadOrCreateIdentity(dataDir)
  let config = await loadConfig(dataDir)
  const created = config === undefined
  if (config === undefined) {
    config = parseConfig({ name: options.name ?? defaultNodeName() })
    await saveConfig(dataDir, config)
  } else if (options.name !== undefined && options.name !== config.name) {
    config = { ...config, name: parseConfig({ ...config, name: options.name }).name }
    await saveConfig(dataDir, config)
  }
  const auth = await initAuth(
    dataDir,
    options.adminPassword === undefined ? {} : { adminPassword: options.adminPassword },
  )
  return {
    dataDir: dataDir.root,
    id: nodeIdOf(key),
    name: config.name,
    created,
    ...(auth.adminPassword ? { adminPassword: auth.adminPassword } : {}),
  }
}

async function requireStopped(dataDir: DataDir): Promise<void> {
  const pid = await lockOwner(dataDir)
  if (pid !== undefined) {
    throw new CloudyError(
      'DATA_DIR_LOCKED',
      `a daemon (pid ${pid}) runs on ${dataDir.root}: use its API instead`,
    )
  }
}

async function requireNotMember(dataDir: DataDir, force: boolean | undefined, what: string): Promise<void> {
  const current = await loadCloud(dataDir)
  if (current && !force) {
    throw new CloudyError(
      'ALREADY_MEMBER',
      `this node is a member of the cloud "${current.name}"; to ${what}, leave it first or pass --force`,
    )
  }
}

/** Writes a new cloud (its key, id and name) into a data directory whose daemon is not running. */
export async function createCloudOffline(
  dataDirPath: string,
  name: string,
  options: { force?: boolean } = {},
): Promise<CloudInfo> {
  const dataDir = new DataDir(dataDirPath)
  const cloudName = validateCloudName(name)
  await initNode(dataDirPath)
  await requireStopped(dataDir)
  await requireNotMember(dataDir, options.force, 'create a new cloud')
  const cloud = newCloud(cloudName, Date.now())
  await saveCloud(dataDir, cloud)
  return cloudInfo(cloud)
}

/** Runs the join handshake and stores the cloud it grants, for a data directory without a daemon. */
export async function joinCloudOffline(
  dataDirPath: string,
  code: string,
  options: { force?: boolean } = {},
): Promise<CloudInfo> {
  const dataDir = new DataDir(dataDirPath)
  const invite = decodeInvite(code)
  if (isInviteExpired(invite, Date.now())) {
    throw new CloudyError('INVITE_REFUSED', 'the invite has expired; ask a member for a new one')
  }
  await initNode(dataDirPath)
  await requireStopped(dataDir)
  await requireNotMember(dataDir, options.force, 'join another cloud')
  const key = await loadOrCreateIdentity(dataDir)
  const config = (await loadConfig(dataDir)) as Config
  const grant = await requestJoin(
    invite,
    { privateKey: key, name: config.name },
    { logger: createLogger({ level: 'warn', name: 'cloudy-join' }) },
  )
  const cloud = cloudFromGrant(grant, Date.now())
  await saveCloud(dataDir, cloud)
  return cloudInfo(cloud)
}
