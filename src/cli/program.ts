import { Command } from 'commander'
import { defaultDataDir } from '../node/data-dir.ts'
import type { CliDeps } from './cli-context.ts'
import { addCloudCommands } from './cloud.ts'
import { addNodeCommands } from './node.ts'
import { addServiceCommands } from './services.ts'
import { addStorageCommands } from './storage.ts'
import { addTorrentCommands } from './torrent.ts'

/** The `cloudy` command line (docs/cli.md). Errors are thrown, never turned into process.exit. */
export function buildProgram(deps: CliDeps): Command {
  const program = new Command('cloudy')
    .description('Cloudy: a community cloud in a box')
    .version(deps.version)
    .option(
      '--data-dir <dir>',
      'the node data directory ($CLOUDY_DATA_DIR sets the default)',
      defaultDataDir(),
    )
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.io.out(text.replace(/\n$/, '')),
      writeErr: (text) => deps.io.err(text.replace(/\n$/, '')),
    })
  addNodeCommands(program, deps)
  addCloudCommands(program, deps)
  addServiceCommands(program, deps)
  addStorageCommands(program, deps)
  addTorrentCommands(program, deps)
  return program
}
