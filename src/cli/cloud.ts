import type { Command } from 'commander'
import { connectApi } from './api-client.ts'
import { type CliDeps, dataDirOf, printJson } from './cli-context.ts'
import { viaDaemonOrOffline } from './daemon-or-offline.ts'
import { formatTime } from './format.ts'
import { describeCloud, renderInvites } from './render.ts'

/** cloud create|leave, join, invite [ls|revoke] */
export function addCloudCommands(program: Command, deps: CliDeps): void {
  const { io } = deps
  const cloud = program.command('cloud').description('the cloud this node belongs to')

  cloud
    .command('create')
    .description('create a new cloud with this node as its first member')
    .argument('<name>', 'cloud name')
    .option('--force', 'leave the current cloud first')
    .action(async (name: string, options: { force?: boolean }, command: Command) => {
      const dataDir = dataDirOf(command)
      const info = await viaDaemonOrOffline(
        dataDir,
        (api) => api.createCloud(name, options.force),
        async () => (await deps.nodeCommands()).createCloudOffline(dataDir.root, name, options),
      )
      io.out(`created cloud ${describeCloud(info)}`)
      io.err('invite other nodes with `cloudy invite`')
    })

  cloud
    .command('leave')
    .description('leave the cloud gracefully')
    .action(async (_options: unknown, command: Command) => {
      await (await connectApi(dataDirOf(command))).leaveCloud()
      io.out('left the cloud')
    })

  program
    .command('join')
    .description('join a cloud with an invite code from one of its members')
    .argument('<invite>', 'the invite code')
    .option('--force', 'leave the current cloud first')
    .action(async (invite: string, options: { force?: boolean }, command: Command) => {
      const dataDir = dataDirOf(command)
      const info = await viaDaemonOrOffline(
        dataDir,
        (api) => api.joinCloud(invite, options.force),
        async () => (await deps.nodeCommands()).joinCloudOffline(dataDir.root, invite, options),
      )
      io.out(`joined cloud ${describeCloud(info)}`)
    })

  const invite = program
    .command('invite')
    .description('print a one-time invite code for a new member')
    .option('--expires <duration>', 'how long the invite stays valid, e.g. 30m, 24h, 7d (at most 30d)', '24h')
    .option('--json', 'machine-readable output')
    .action(async (options: { expires: string; json?: boolean }, command: Command) => {
      const created = await (await connectApi(dataDirOf(command))).createInvite(options.expires)
      if (options.json) {
        printJson(io, created)
        return
      }
      io.out(created.code)
      io.err(
        `invite ${created.id}, valid once until ${formatTime(created.expiresAt)} UTC: \`cloudy join <code>\``,
      )
    })

  invite
    .command('ls')
    .description('list invites and their state')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const invites = await (await connectApi(dataDirOf(command))).listInvites()
      if (options.json) printJson(io, invites)
      else for (const line of renderInvites(invites)) io.out(line)
    })

  invite
    .command('revoke')
    .description('revoke an invite that is not used yet')
    .argument('<id>', 'invite id (from `cloudy invite ls`)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const revoked = await (await connectApi(dataDirOf(command))).revokeInvite(id)
      io.out(`invite ${revoked.id} is ${revoked.state}`)
    })
}
