import type { TestNode } from '../../test/helpers/test-cloud.ts'

/** The fields of member and service events that the benchmark reads. */
export interface EventData {
  id?: string
  name?: string
  status?: string
  /** member events: when the observer set the member's current status (its own clock) */
  statusSince?: number
  type?: string
  port?: number
  node?: string
}

/** One server-sent event as the benchmark received it. */
export interface ReceivedEvent {
  observer: string
  event: string
  data: EventData
  /** Date.now() when the chunk holding the event arrived in this process */
  t: number
}

/** Member verdicts kept for the false-verdict counts. */
const VERDICT_EVENTS = new Set(['member:suspected', 'member:died', 'member:recovered', 'member:left'])

interface Waiter {
  events: Set<string>
  match: (data: EventData) => boolean
  pending: Set<string>
  seen: Map<string, ReceivedEvent>
  wake: () => void
}

export interface Collected {
  /** first matching event per observer */
  seen: Map<string, ReceivedEvent>
  /** observers that did not emit the event in time */
  missing: string[]
}

/** Waits for one kind of event at a set of observers; created before the action that causes it. */
export class Collection {
  readonly #hub: EventHub
  readonly #waiter: Waiter

  constructor(hub: EventHub, waiter: Waiter) {
    this.#hub = hub
    this.#waiter = waiter
  }

  /** Resolves once every observer emitted the event, or when the bound runs out (with `missing`). */
  async wait(timeoutMs: number): Promise<Collected> {
    if (this.#waiter.pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs)
        this.#waiter.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    return this.stop()
  }

  /** What arrived so far; stops collecting. */
  stop(): Collected {
    this.#hub.remove(this.#waiter)
    return { seen: new Map(this.#waiter.seen), missing: [...this.#waiter.pending] }
  }
}

/**
 * One `GET /api/v1/events` stream per node, read with fetch streaming in this process, so every
 * node's view of the cloud is timestamped the moment it changes, without polling.
 */
export class EventHub {
  /** member:suspected / died / recovered / left at every observer, for the false-verdict counts */
  readonly verdicts: ReceivedEvent[] = []
  /** streams that ended while their node was meant to run */
  readonly notes: string[] = []
  readonly #streams = new Map<string, AbortController>()
  readonly #waiters = new Set<Waiter>()

  /** Opens the node's event stream; resolves when the server confirmed the subscription. */
  async subscribe(node: TestNode, timeoutMs = 15_000): Promise<void> {
    this.unsubscribe(node.name)
    const abort = new AbortController()
    this.#streams.set(node.name, abort)
    const timer = setTimeout(() => abort.abort(new Error('event stream did not connect')), timeoutMs)
    try {
      const res = await fetch(`${node.apiUrl}/api/v1/events`, {
        headers: { authorization: `Bearer ${node.token}`, accept: 'text/event-stream' },
        signal: abort.signal,
      })
      if (!res.ok || res.body === null) throw new Error(`GET /events on ${node.name}: ${res.status}`)
      const reader = res.body.getReader()
      await new Promise<void>((connected, failed) => {
        void this.#read(node.name, reader, abort, connected).catch(failed)
      })
    } finally {
      clearTimeout(timer)
    }
  }

  unsubscribe(name: string): void {
    const abort = this.#streams.get(name)
    this.#streams.delete(name)
    abort?.abort()
  }

  close(): void {
    for (const name of [...this.#streams.keys()]) this.unsubscribe(name)
  }

  /** Starts collecting the first of `events` matching `match` at each of `observers`. */
  collect(events: string | string[], observers: string[], match: (data: EventData) => boolean): Collection {
    const waiter: Waiter = {
      events: new Set(typeof events === 'string' ? [events] : events),
      match,
      pending: new Set(observers),
      seen: new Map(),
      wake: () => {},
    }
    this.#waiters.add(waiter)
    return new Collection(this, waiter)
  }

  remove(waiter: Waiter): void {
    this.#waiters.delete(waiter)
  }

  async #read(
    observer: string,
    reader: ReadableStreamDefaultReader<Uint8Array>,
    abort: AbortController,
    connected: () => void,
  ): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    let isConnected = false
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        const t = Date.now()
        buffer += decoder.decode(value, { stream: true })
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          if (!isConnected && block.includes(': connected')) {
            isConnected = true
            connected()
          }
          this.#dispatch(observer, block, t)
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) this.#note(`${observer}: event stream failed: ${(err as Error).message}`)
      throw err
    }
    if (!isConnected) throw new Error(`${observer}: event stream closed before it connected`)
    if (!abort.signal.aborted) this.#note(`${observer}: event stream ended`)
  }

  #note(text: string): void {
    this.notes.push(`${new Date().toISOString()} ${text}`)
  }

  #dispatch(observer: string, block: string, t: number): void {
    let event = ''
    let raw = ''
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) raw += line.slice(6)
    }
    if (event === '' || raw === '') return
    let data: EventData
    try {
      data = JSON.parse(raw) as EventData
    } catch {
      return
    }
    const received: ReceivedEvent = { observer, event, data, t }
    if (VERDICT_EVENTS.has(event)) this.verdicts.push(received)
    for (const w of this.#waiters) {
      if (!w.events.has(event) || !w.pending.has(observer) || !w.match(data)) continue
      w.pending.delete(observer)
      w.seen.set(observer, received)
      if (w.pending.size === 0) w.wake()
    }
  }
}
