import type { Command } from 'commander'
import { DataDir } from '../node/data-dir.ts'

/** The node's entry points the CLI calls without going through a daemon's API. */
export type NodeCommands = Pick<
  typeof import('../node/commands.ts'),
  'initNode' | 'startDaemon' | 'createCloudOffline' | 'joinCloudOffline'
>

/** Where a command writes: stdout for results, stderr for messages. Each call is one line. */
export interface CliIo {
  out(line: string): void
  err(line: string): void
}

/** What the commands need from the outside world; tests pass their own. */
export interface CliDeps {
  io: CliIo
  version: string
  /** the node's entry points, loaded on first use so that API-only commands start fast */
  nodeCommands: () => Promise<NodeCommands>
  /** resolves on the first SIGINT or SIGTERM */
  untilSignal: () => Promise<string>
  /** the argv that runs this CLI again, for the node processes of `cloudy demo` */
  selfCommand: readonly string[]
  /** print stack traces of errors (CLOUDY_DEBUG=1) */
  debug: boolean
}

/** The data directory a command works on: `--data-dir`, given before or after the command name. */
export function dataDirOf(command: Command): DataDir {
  return new DataDir(command.optsWithGlobals<{ dataDir: string }>().dataDir)
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2))
}
