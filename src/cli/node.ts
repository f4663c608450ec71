import type { Command } from 'commander'
import { connectApi } from './api-client.ts'
import { parseCount, parseListenPort, parsePort } from './arg-parsers.ts'
import { type CliDeps, type CliIo, dataDirOf, printJson } from './cli-context.ts'
import { viaDaemonOrOffline } from './daemon-or-offline.ts'
import { runDemo } from './demo-cloud.ts'
import { renderMembers, renderStatus } from './render.ts'

function printAdminPassword(io: CliIo, password: string | undefined): void {
  if (password === undefined) return
  io.out(`admin password: ${password}`)
  io.err('(shown this once: the dashboard logs in as "admin" with it)')
}

/** init, start, status, nodes, demo */
export function addNodeCommands(program: Command, deps: CliDeps): void {
  const { io } = deps

  program
    .command('init')
    .description('create the node identity, configuration and admin account (does nothing twice)')
    .option('--name <name>', 'node name (default: the host name)')
    .action(async (options: { name?: string }, command: Command) => {
      const dataDir = dataDirOf(command)
      await viaDaemonOrOffline(
        dataDir,
        async (api) => {
          let status = await api.status()
          if (options.name !== undefined && options.name !== status.name) {
            status = await api.setName(options.name)
          }
          io.out(`node ${status.name} (${status.id}) in ${dataDir.root} is initialised; its daemon runs`)
        },
        async () => {
          const result = await (await deps.nodeCommands()).initNode(dataDir.root, options)
          io.out(
            `${result.created ? 'initialised' : 'already initialised:'} node ${result.name} (${result.id}) in ${result.dataDir}`,
          )
          printAdminPassword(io, result.adminPassword)
        },
      )
    })

  program
    .command('start')
    .description('run the node in the foreground until SIGINT or SIGTERM; initialises a fresh data directory')
    .option('--host <addr>', 'address the overlay listens on (default 127.0.0.1)')
    .option('--p2p-port <n>', 'overlay TCP port (0: any free port)', parseListenPort)
    .option('--join-port <n>', 'TCP port of the join handshake (0: any free port)', parseListenPort)
    .option('--api-host <addr>', 'address the HTTP API listens on (default 127.0.0.1)')
    .option('--api-port <n>', 'HTTP API port (0: any free port)', parseListenPort)
    .option('--name <name>', 'node name, on a fresh data directory')
    .action(
      async (
        options: {
          host?: string
          p2pPort?: number
          joinPort?: number
          apiHost?: string
          apiPort?: number
          name?: string
        },
        command: Command,
      ) => {
        const dataDir = dataDirOf(command)
        const daemon = await (await deps.nodeCommands()).startDaemon(dataDir.root, options)
        printAdminPassword(io, daemon.adminPassword)
        io.out(`Cloudy node running on ${dataDir.root}`)
        io.out(`  API:       ${new URL('/api/v1', daemon.apiUrl).href}`)
        io.out(`  dashboard: ${daemon.dashboardUrl}`)
        io.err('Press Ctrl-C to stop.')
        const signal = await deps.untilSignal()
        io.err(`${signal}: leaving the cloud and stopping ...`)
        await daemon.stop()
      },
    )

  program
    .command('status')
    .description('this node: identity, cloud, members, services, resources')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const status = await (await connectApi(dataDirOf(command))).status()
      if (options.json) printJson(io, status)
      else for (const line of renderStatus(status)) io.out(line)
    })

  program
    .command('nodes')
    .description('every member of the cloud with status and resources (* marks this node)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const members = await (await connectApi(dataDirOf(command))).members()
      if (options.json) printJson(io, members)
      else for (const line of renderMembers(members)) io.out(line)
    })

  program
    .command('demo')
    .description('run N node processes on loopback that form one cloud, until Ctrl-C')
    .requiredOption('--nodes <n>', 'number of nodes (1-100)', parseCount)
    .requiredOption('--data-root <dir>', 'the nodes get data directories <dir>/node-1 ... <dir>/node-N')
    .option(
      '--base-port <p>',
      'node i uses ports p+3(i-1) (API), +1 (overlay), +2 (join) (default: any free ones)',
      (text) => parsePort(text),
    )
    .action(async (options: { nodes: number; dataRoot: string; basePort?: number }) => {
      await runDemo(options, deps)
    })
}
