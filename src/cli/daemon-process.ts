import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { DataDir } from '../node/data-dir.ts'
import { CloudyError, isCloudyError } from '../util/errors.ts'
import { type ApiClient, connectApi } from './api-client.ts'

const STARTUP_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 15_000

export interface DaemonProcessInit {
  name: string
  dataDir: DataDir
  host: string
}

/** A `cloudy start` child process on the ports of its configuration, logging to <data dir>/daemon.log. */
export interface DaemonProcess {
  readonly name: string
  readonly dataDir: DataDir
  readonly logPath: string
  /** Waits until the child's API answers; rejects when the child exits first, takes too long or `signal` aborts. */
  api(signal?: AbortSignal): Promise<ApiClient>
  /** SIGTERM (a graceful leave), then SIGKILL after a timeout. */
  stop(): Promise<void>
  /** SIGKILL at once, for when the parent itself is going. */
  kill(): void
}

/**
 * Spawns a daemon in its own process group, so that a Ctrl-C in the terminal reaches only the
 * parent, which then stops its children one by one.
 */
export function spawnDaemon(selfCommand: readonly string[], init: DaemonProcessInit): DaemonProcess {
  const [command, ...prefix] = selfCommand as [string, ...string[]]
  const logPath = join(init.dataDir.root, 'daemon.log')
  const log = openSync(logPath, 'a', 0o600)
  const args = [
    ...prefix,
    'start',
    '--data-dir',
    init.dataDir.root,
    '--host',
    init.host,
    '--api-host',
    init.host,
  ]
  let child: ChildProcess
  try {
    // The child's stdin is a pipe this process holds: with the watchdog on, the node stops when the
    // pipe closes, so no node outlives the demo, even when the demo is killed with SIGKILL.
    child = spawn(command, args, {
      stdio: ['pipe', log, log],
      detached: true,
      env: { ...process.env, CLOUDY_WATCHDOG: '1' },
    })
  } finally {
    closeSync(log)
  }
  /** how the child ended, once it has */
  let ended: string | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = signal ? `signal ${signal}` : `exit code ${code}`
      resolve()
    })
    child.once('error', (err) => {
      ended = err.message
      resolve()
    })
  })
  const running = () => ended === undefined

  return {
    name: init.name,
    dataDir: init.dataDir,
    logPath,

    async api(signal) {
      const deadline = Date.now() + STARTUP_TIMEOUT_MS
      while (Date.now() < deadline) {
        signal?.throwIfAborted()
        if (!running()) {
          throw new CloudyError(
            'UNAVAILABLE',
            `${init.name} stopped (${ended}) while starting; see ${logPath}`,
          )
        }
        try {
          const api = await connectApi(init.dataDir)
          if (api.pid === child.pid) {
            await api.status()
            return api
          }
        } catch (err) {
          if (!isCloudyError(err)) throw err
        }
        await sleep(250, undefined, { signal })
      }
      throw new CloudyError(
        'UNAVAILABLE',
        `${init.name} did not start within ${STARTUP_TIMEOUT_MS / 1000} s; see ${logPath}`,
      )
    },

    async stop() {
      if (!running()) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    },

    kill() {
      if (running()) child.kill('SIGKILL')
    },
  }
}
