import { VERSION } from '../util/version.ts'
import { runCli } from './run-cli.ts'
import { untilSignal } from './signals.ts'

// The `cloudy` executable (bin/cloudy.js imports the built copy of this file).
const code = await runCli(process.argv.slice(2), {
  io: {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  },
  version: VERSION,
  nodeCommands: () => import('../node/commands.ts'),
  untilSignal,
  selfCommand: [process.execPath, ...process.execArgv, ...process.argv.slice(1, 2)],
  debug: process.env.CLOUDY_DEBUG === '1',
})
// stdout and stderr are synchronous on Linux; exiting here also ends what a stopped daemon or
// fetch's keep-alive sockets would otherwise keep open
process.exit(code)
