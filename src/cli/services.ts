import type { Command } from 'commander'
import type { SearchQuery } from '../catalogue/types.ts'
import { CloudyError } from '../util/errors.ts'
import { connectApi } from './api-client.ts'
import { collectOption, collectPair, parsePort, parseSizeArg } from './arg-parsers.ts'
import { type CliDeps, dataDirOf, printJson } from './cli-context.ts'
import { renderBuiltins, renderServices } from './render.ts'

interface PublishOptions {
  description: string
  txt?: Record<string, string>
  host?: string
  public?: boolean
}

interface SearchOptions {
  host?: string
  txt?: Record<string, string>
  scan?: boolean
  json?: boolean
}

/** publish, unpublish, search, service ls|enable|disable */
export function addServiceCommands(program: Command, deps: CliDeps): void {
  const { io } = deps

  program
    .command('publish')
    .description('announce a service of this node to the whole cloud')
    .argument('<type>', 'service type: lower-case letters, digits, hyphens (e.g. "web")')
    .argument('<port>', 'TCP port', (text) => parsePort(text))
    .requiredOption('--description <text>', 'what the service offers')
    .option('--txt <k=v...>', 'DNS-SD txt entries (repeatable)', collectPair)
    .option('--host <host>', "host the service is reached on (default: this node's host)")
    .option(
      '--public',
      'also announce it by DNS-SD on the LAN (never for a service whose record holds a secret)',
    )
    .action(async (type: string, port: number, options: PublishOptions, command: Command) => {
      const service = await (await connectApi(dataDirOf(command))).publish({ type, port, ...options })
      io.out(`published ${service.type} on ${service.host}:${service.port}`)
    })

  program
    .command('unpublish')
    .description('withdraw a service of this node')
    .argument('<type>', 'service type')
    .argument('<port>', 'TCP port', (text) => parsePort(text))
    .action(async (type: string, port: number, _options: unknown, command: Command) => {
      await (await connectApi(dataDirOf(command))).unpublish(type, port)
      io.out(`unpublished ${type} on port ${port}`)
    })

  program
    .command('search')
    .description('the services of the cloud, by type, host and txt entries')
    .argument('[type]', 'service type')
    .option('--host <name>', 'node name, node id or host')
    .option('--txt <k=v...>', 'txt entries the service must have (repeatable)', collectPair)
    .option('--scan', 'also measure how well this node reaches each service')
    .option('--json', 'machine-readable output')
    .action(async (type: string | undefined, options: SearchOptions, command: Command) => {
      const api = await connectApi(dataDirOf(command))
      const query: SearchQuery = {
        ...(type !== undefined && { type }),
        ...(options.host !== undefined && { host: options.host }),
        ...(options.txt !== undefined && { txt: options.txt }),
      }
      const services = options.scan ? await api.scan(query) : await api.search(query)
      if (options.json) printJson(io, services)
      else for (const line of renderServices(services, options.scan === true)) io.out(line)
    })

  const service = program.command('service').description('the built-in services of this node')

  service
    .command('ls')
    .description('list the built-in services and whether they run')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const services = await (await connectApi(dataDirOf(command))).builtinServices()
      if (options.json) printJson(io, services)
      else for (const line of renderBuiltins(services)) io.out(line)
    })

  service
    .command('enable')
    .description('switch a built-in service on; it stays on across restarts')
    .argument('<name>', 'built-in service name (see `cloudy service ls`)')
    .option(
      '--capacity <size>',
      'storage it may use, e.g. 20GiB (sets option capacity, in bytes)',
      parseSizeArg,
    )
    .option(
      '--option <k=v...>',
      'a service option (repeatable); numbers and true/false are typed',
      collectOption,
    )
    .action(
      async (
        name: string,
        options: { capacity?: number; option?: Record<string, unknown> },
        command: Command,
      ) => {
        const serviceOptions = {
          ...options.option,
          ...(options.capacity !== undefined && { capacity: options.capacity }),
        }
        const api = await connectApi(dataDirOf(command))
        const view = await api.enableBuiltinService(name, serviceOptions)
        if (view.error !== undefined) {
          throw new CloudyError('SERVICE_FAILED', `${view.name} is enabled but did not start: ${view.error}`)
        }
        const port = view.port === undefined ? '' : ` on port ${view.port}`
        io.out(`${view.name} is enabled${view.running ? ` and running${port}` : ''}`)
      },
    )

  service
    .command('disable')
    .description('switch a built-in service off')
    .argument('<name>', 'built-in service name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const view = await (await connectApi(dataDirOf(command))).disableBuiltinService(name)
      io.out(`${view.name} is disabled`)
    })
}
