import { CommanderError } from 'commander'
import { exitCodeFor, isCloudyError } from '../util/errors.ts'
import type { CliDeps } from './cli-context.ts'
import { buildProgram } from './program.ts'

/**
 * Runs one command line; returns the exit code (docs/cli.md). Failures print `error: <message>`
 * (with the stack when deps.debug) and exit with the code their error code maps to.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    await buildProgram(deps).parseAsync([...argv], { from: 'user' })
    return 0
  } catch (err) {
    // commander has printed its own message (usage errors, --help, --version)
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : exitCodeFor('INVALID_INPUT')
    deps.io.err(`error: ${err instanceof Error ? err.message : String(err)}`)
    if (deps.debug && err instanceof Error && err.stack) deps.io.err(err.stack)
    return isCloudyError(err) ? err.exitCode : exitCodeFor('INTERNAL')
  }
}
