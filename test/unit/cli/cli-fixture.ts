import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { vi } from 'vitest'
import type { CliDeps, NodeCommands } from '../../../src/cli/cli-context.ts'
import { runCli } from '../../../src/cli/run-cli.ts'
import { acquireLock, DataDir } from '../../../src/node/data-dir.ts'
import { createTestApi, listeningPort, type TestApi } from '../api/api-fixture.ts'

export interface CliRun {
  code: number
  out: string
  err: string
}

/** Stand-ins for the node's entry points, recording their calls. */
export function fakeNodeCommands() {
  const cloud = { id: 'c1', name: 'offline cloud', keyFingerprint: '0a0b0c0d', joinedAt: 0 }
  const stop = vi.fn(async () => {})
  return {
    stop,
    initNode: vi.fn(async (dataDir: string, options?: { name?: string }) => ({
      dataDir,
      id: 'node-id',
      name: options?.name ?? 'host',
      created: true,
      adminPassword: 'generated-password',
    })),
    startDaemon: vi.fn(async () => ({
      apiUrl: 'http://127.0.0.1:7780',
      dashboardUrl: 'http://127.0.0.1:7780/',
      adminPassword: 'generated-password',
      stop,
    })),
    createCloudOffline: vi.fn(async (_dataDir: string, name: string) => ({ ...cloud, name })),
    joinCloudOffline: vi.fn(async () => cloud),
  } satisfies NodeCommands & { stop: unknown }
}

/** Runs the CLI in-process, collecting its output. */
export async function cli(argv: string[], deps: Partial<CliDeps> = {}): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(argv, {
    io: { out: (line) => out.push(line), err: (line) => err.push(line) },
    version: '9.9.9',
    nodeCommands: async () => fakeNodeCommands(),
    untilSignal: async () => 'SIGINT',
    selfCommand: [process.execPath],
    debug: false,
    ...deps,
  })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

export async function tempDataDir(): Promise<DataDir> {
  return new DataDir(await mkdtemp(join(tmpdir(), 'cloudy-cli-')))
}

/**
 * A "daemon" for the CLI to find: the API over a fake node, listening on 127.0.0.1, with the data
 * directory's lock held by this process and daemon.json pointing at it.
 */
export async function startFakeDaemon(): Promise<TestApi> {
  const api = await createTestApi()
  const port = await listeningPort(api.app)
  const release = await acquireLock(api.dataDir)
  await writeFile(
    api.dataDir.daemon,
    JSON.stringify({ apiUrl: `http://127.0.0.1:${port}`, pid: process.pid }),
  )
  return {
    ...api,
    async close() {
      await release()
      await api.close()
    },
  }
}

export async function removeDir(dataDir: DataDir): Promise<void> {
  await rm(dataDir.root, { recursive: true, force: true })
}
