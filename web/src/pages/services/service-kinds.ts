import type { Service } from '../../api/types.ts'

/** Something a user can do with a service from the catalogue: open it, or copy how to reach it. */
export type ServiceAction =
  | { kind: 'open'; label: string; href: string }
  | { kind: 'copy'; label: string; text: string }

/**
 * What the dashboard knows about a service type: a friendlier name and the actions that make sense
 * for it. Later parts register theirs (storage: the introducer; torrents: open in the torrents page).
 */
export interface ServiceKind {
  /** the DNS-SD service types it covers */
  types: string[]
  label: string
  actions(service: Service): ServiceAction[]
}

const kinds: ServiceKind[] = []

export function registerServiceKind(kind: ServiceKind): void {
  kinds.push(kind)
}

/** host:port, with brackets around an IPv6 address. */
export function hostPort(service: Pick<Service, 'host' | 'port'>): string {
  const host = service.host.includes(':') ? `[${service.host}]` : service.host
  return `${host}:${service.port}`
}

/** An http(s) URL for a web service, or undefined when the record does not make a valid one. */
export function webUrl(service: Service, scheme: 'http' | 'https'): string | undefined {
  const path = service.txt.path?.startsWith('/') ? service.txt.path : '/'
  try {
    const url = new URL(`${scheme}://${hostPort(service)}${path}`)
    return url.protocol === `${scheme}:` ? url.href : undefined
  } catch {
    return undefined
  }
}

function openWeb(scheme: 'http' | 'https') {
  return (service: Service): ServiceAction[] => {
    const href = webUrl(service, scheme)
    return [
      ...(href ? [{ kind: 'open' as const, label: 'Open', href }] : []),
      { kind: 'copy', label: 'Copy address', text: href ?? hostPort(service) },
    ]
  }
}

registerServiceKind({ types: ['web', 'http', 'http-alt', 'www'], label: 'Web', actions: openWeb('http') })
registerServiceKind({ types: ['https'], label: 'Web (HTTPS)', actions: openWeb('https') })
registerServiceKind({
  types: ['ssh'],
  label: 'SSH',
  actions: (s) => [{ kind: 'copy', label: 'Copy command', text: `ssh -p ${s.port} ${s.host}` }],
})
registerServiceKind({
  types: ['relay'],
  label: 'Circuit relay',
  actions: () => [],
})

/** The kind registered for a type, or a generic one that offers to copy host:port. */
export function serviceKind(type: string): ServiceKind {
  return (
    kinds.find((k) => k.types.includes(type)) ?? {
      types: [type],
      label: type,
      actions: (s) => [{ kind: 'copy', label: 'Copy address', text: hostPort(s) }],
    }
  )
}
