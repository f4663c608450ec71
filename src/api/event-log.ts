import type { CloudyNode, NodeEvents } from '../node/types.ts'
import { NODE_EVENT_NAMES, type NodeEventName } from '../node/types.ts'

/** One node event as the log keeps it. */
export interface EventLogEntry {
  /** grows by one per entry from the start of the daemon */
  seq: number
  /** when the node emitted it, ms since the Unix epoch */
  at: number
  event: NodeEventName
  data: NodeEvents[NodeEventName]
}

export interface EventLogInit {
  /** how many entries to keep; default 200 */
  size?: number
}

export interface EventLogComponents {
  node: CloudyNode
  clock?: () => number
}

export interface EventLog {
  /** the kept entries, oldest first; with `after`, only those with a larger seq */
  recent(options?: { after?: number; limit?: number }): EventLogEntry[]
  /** stops listening to the node */
  close(): void
}

/**
 * What identifies a member's record for the log: a `member:updated` that changes none of these is a
 * resource refresh (load, memory), which repeats every few seconds and would flush the log.
 */
function memberSignature(data: NodeEvents['member:updated']): string {
  return JSON.stringify([data.name, data.host, data.microCloud, data.roles, data.version, data.relayed])
}

/**
 * A ring buffer of the node's recent events (the dashboard's Events page): membership, catalogue,
 * cloud, invite and built-in service events. `member:updated` is kept only when the member's name,
 * host, micro cloud, roles, version or relay state changed.
 */
export function createEventLog(init: EventLogInit, components: EventLogComponents): EventLog {
  const size = init.size ?? 200
  const clock = components.clock ?? Date.now
  const entries: EventLogEntry[] = []
  const signatures = new Map<string, string>()
  let seq = 0

  const record = (event: NodeEventName, data: NodeEvents[NodeEventName]) => {
    entries.push({ seq: ++seq, at: clock(), event, data })
    if (entries.length > size) entries.splice(0, entries.length - size)
  }

  const unsubscribers = NODE_EVENT_NAMES.map((event) =>
    components.node.events.on(event, (data: NodeEvents[typeof event]) => {
      if (event.startsWith('member:')) {
        const member = data as NodeEvents['member:updated']
        const signature = memberSignature(member)
        const before = signatures.get(member.id)
        signatures.set(member.id, signature)
        if (event === 'member:updated' && (before === undefined || before === signature)) return
      }
      record(event, data)
    }),
  )

  return {
    recent({ after, limit } = {}) {
      const newer = after === undefined ? entries : entries.filter((e) => e.seq > after)
      return limit === undefined ? [...newer] : newer.slice(-limit)
    },
    close() {
      for (const unsubscribe of unsubscribers) unsubscribe()
    },
  }
}
