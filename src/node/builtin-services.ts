import { CloudyError } from '../util/errors.ts'

/**
 * A service that ships with Cloudy and is switched on per node (`cloudy service enable NAME`). Later
 * parts (storage, files, tracker, torrents) add their definitions here.
 */
export interface BuiltinServiceDefinition {
  name: string
  description: string
  /** validates and normalises the options given on enable */
  parseOptions(options: Record<string, unknown>): Record<string, unknown>
  /** the overlay must be rebuilt for the change to take effect (libp2p services are fixed at start) */
  restartsOverlay: boolean
  /** the catalogue record the service publishes while it runs */
  record(ctx: { p2pPort: number; options: Record<string, unknown> }): {
    type: string
    port: number
    description: string
  }
}

export const BUILTIN_SERVICES: readonly BuiltinServiceDefinition[] = [
  {
    name: 'relay',
    description: 'circuit relay v2 for members that cannot reach each other directly (NAT, tunnels)',
    parseOptions(options) {
      if (Object.keys(options).length > 0) {
        throw new CloudyError(
          'INVALID_INPUT',
          `the relay service takes no options (got ${Object.keys(options).join(', ')})`,
        )
      }
      return {}
    },
    restartsOverlay: true,
    record: ({ p2pPort }) => ({ type: 'relay', port: p2pPort, description: 'Cloudy circuit relay' }),
  },
]

export function builtinService(name: string): BuiltinServiceDefinition {
  const def = BUILTIN_SERVICES.find((s) => s.name === name)
  if (def === undefined) {
    const known = BUILTIN_SERVICES.map((s) => s.name).join(', ')
    throw new CloudyError('NOT_FOUND', `no built-in service "${name}" (known: ${known})`)
  }
  return def
}
