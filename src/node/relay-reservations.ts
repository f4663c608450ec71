import type { Catalogue } from '../catalogue/catalogue.ts'
import type { ServiceView } from '../catalogue/types.ts'
import type { Membership } from '../membership/membership.ts'
import type { Overlay } from '../net/types.ts'
import type { Logger } from '../util/logger.ts'

/** Relays a node keeps a reservation on at once. */
export const MAX_RELAYS = 2

export interface RelayReservationsComponents {
  overlay: Overlay
  catalogue: Catalogue
  membership: Membership
  logger: Logger
}

/**
 * Keeps reservations on up to MAX_RELAYS of the cloud's relays (the `relay` services in the
 * catalogue), so that members which cannot reach this node directly reach it through a relay. A new
 * reservation changes this node's addresses, so the node record is announced again.
 */
export function startRelayReservations(c: RelayReservationsComponents): { stop(): void } {
  const reserved = new Set<string>()
  const pending = new Set<string>()
  let stopped = false

  const consider = async (service: ServiceView) => {
    if (stopped || service.type !== 'relay' || service.local) return
    if (reserved.has(service.node) || pending.has(service.node) || reserved.size >= MAX_RELAYS) return
    const member = c.membership.member(service.node)
    const direct = member?.addrs.filter((a) => !a.includes('/p2p-circuit')) ?? []
    pending.add(service.node)
    try {
      for (const addr of direct) {
        try {
          await c.overlay.reserveRelay(addr, { timeoutMs: 5000 })
          reserved.add(service.node)
          await c.membership.announce()
          return
        } catch (err) {
          c.logger.debug(
            { relay: service.node, addr, err: (err as Error).message },
            'relay reservation failed',
          )
        }
      }
    } finally {
      pending.delete(service.node)
    }
  }
  const forget = (relay: { node?: string; id?: string }) => {
    const id = relay.node ?? relay.id
    if (id !== undefined) reserved.delete(id)
  }

  const offs = [
    c.catalogue.events.on('service:published', (s) => void consider(s)),
    c.catalogue.events.on('service:updated', (s) => void consider(s)),
    c.catalogue.events.on('service:removed', (s) => s.type === 'relay' && forget(s)),
    c.membership.events.on('member:died', forget),
    c.membership.events.on('member:left', forget),
    // A restarted relay forgot its reservations: take one again.
    c.membership.events.on('member:joined', (m) => {
      reserved.delete(m.id)
      for (const s of c.catalogue.search({ type: 'relay' })) if (s.node === m.id) void consider(s)
    }),
  ]
  for (const s of c.catalogue.search({ type: 'relay' })) void consider(s)
  return {
    stop() {
      stopped = true
      for (const off of offs) off()
    },
  }
}
