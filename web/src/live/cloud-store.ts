import { api, EVENTS_URL, errorText } from '../api/client.ts'
import {
  type BuiltinService,
  EVENT_NAMES,
  type EventName,
  type EventPayloads,
  type Member,
  type NodeEvent,
  type NodeStatus,
  type Service,
} from '../api/types.ts'

export type Connection = 'connecting' | 'live' | 'reconnecting'

export interface CloudState {
  status: NodeStatus | null
  /** when the status arrived, to advance its uptime between refreshes */
  statusAt: number
  members: Member[]
  services: Service[]
  builtins: BuiltinService[]
  /** the first snapshot arrived */
  loaded: boolean
  connection: Connection
  /** why the last refresh failed, in words */
  error: string | null
}

export const serviceKey = (s: Pick<Service, 'node' | 'type' | 'port'>) => `${s.node}/${s.type}/${s.port}`

const INITIAL: CloudState = {
  status: null,
  statusAt: 0,
  members: [],
  services: [],
  builtins: [],
  loaded: false,
  connection: 'connecting',
  error: null,
}

/** Folds one event into the state; applying an event twice changes nothing more. */
function apply(state: CloudState, e: NodeEvent): CloudState {
  if (e.event.startsWith('member:')) {
    const member = e.data as Member
    const others = state.members.filter((m) => m.id !== member.id)
    return { ...state, members: [...others, member] }
  }
  if (e.event === 'service:removed') {
    const key = serviceKey(e.data as Service)
    return { ...state, services: state.services.filter((s) => serviceKey(s) !== key) }
  }
  if (e.event === 'service:published' || e.event === 'service:updated') {
    const service = e.data as Service
    const key = serviceKey(service)
    return { ...state, services: [...state.services.filter((s) => serviceKey(s) !== key), service] }
  }
  return state
}

/** Events after which the status (counts, resources) and the rest are fetched again. */
const REFETCH_STATUS = /^(member|service):/
const REFETCH_ALL = /^(cloud|builtin):/

/**
 * The live picture of the cloud the pages share: a snapshot from the API, kept current by the
 * event stream. The stream has no replay, so on every (re)connection the snapshot is fetched again
 * and the events that arrived meanwhile are applied on top of it.
 */
export class CloudStore {
  #state: CloudState = INITIAL
  readonly #listeners = new Set<() => void>()
  readonly #eventListeners = new Set<(e: NodeEvent) => void>()
  #source: EventSource | undefined
  /** per snapshot on its way, the events that arrive meanwhile */
  readonly #buffers = new Set<NodeEvent[]>()
  #statusTimer: ReturnType<typeof setTimeout> | undefined
  #pollTimer: ReturnType<typeof setInterval> | undefined

  get state(): CloudState {
    return this.#state
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Every event from the stream, for pages that show them (Events) or react to them. */
  onEvent(listener: (e: NodeEvent) => void): () => void {
    this.#eventListeners.add(listener)
    return () => this.#eventListeners.delete(listener)
  }

  start(): void {
    if (this.#source) return
    const source = new EventSource(EVENTS_URL)
    this.#source = source
    source.addEventListener('open', () => {
      this.#set({ connection: 'live' })
      void this.refresh()
    })
    source.addEventListener('error', () => {
      // EventSource retries by itself (the server asks for 3 s); a closed one was refused (401)
      this.#set({ connection: 'reconnecting' })
      if (source.readyState === EventSource.CLOSED) {
        this.#source = undefined
        setTimeout(() => {
          void api.me().then(
            () => this.start(),
            () => {},
          )
        }, 3000)
      }
    })
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (message) => this.#receive(name, (message as MessageEvent<string>).data))
    }
    // resources and uptimes change without events of their own
    this.#pollTimer = setInterval(() => void this.refreshStatus(), 15_000)
  }

  stop(): void {
    this.#source?.close()
    this.#source = undefined
    clearInterval(this.#pollTimer)
    clearTimeout(this.#statusTimer)
    this.#state = INITIAL
  }

  /** Fetches the whole picture again. */
  async refresh(): Promise<void> {
    try {
      await this.#snapshot(async () => {
        const [status, members, services, builtins] = await Promise.all([
          api.status(),
          api.nodes(),
          api.services(),
          api.builtins(),
        ])
        return { status, members, services, builtins, loaded: true, error: null }
      })
    } catch (err) {
      this.#set({ error: errorText(err), loaded: true })
    }
  }

  /** Fetches what changes without events of its own: resources, uptimes, round-trip times. */
  async refreshStatus(): Promise<void> {
    try {
      await this.#snapshot(async () => {
        const [status, members] = await Promise.all([api.status(), api.nodes()])
        return { status, members, error: null }
      })
    } catch {
      // the next event or refresh tries again; the connection state tells the user
    }
  }

  /** Takes a snapshot, then applies on top of it the events that arrived while it was taken. */
  async #snapshot(fetchPatch: () => Promise<Partial<CloudState>>): Promise<void> {
    const buffer: NodeEvent[] = []
    this.#buffers.add(buffer)
    try {
      const patch = await fetchPatch()
      let next: CloudState = { ...this.#state, ...patch, ...(patch.status && { statusAt: Date.now() }) }
      for (const e of buffer) next = apply(next, e)
      this.#state = next
      this.#notify()
    } finally {
      this.#buffers.delete(buffer)
    }
  }

  /** Lets a page put what a call answered into the shared picture at once. */
  update(patch: Partial<CloudState>): void {
    this.#set(patch)
  }

  #receive<K extends EventName>(event: K, raw: string): void {
    let data: EventPayloads[K]
    try {
      data = JSON.parse(raw) as EventPayloads[K]
    } catch {
      return
    }
    const e = { event, data, at: Date.now() } as NodeEvent
    for (const buffer of this.#buffers) buffer.push(e)
    this.#state = apply(this.#state, e)
    this.#notify()
    for (const listener of this.#eventListeners) listener(e)
    if (REFETCH_ALL.test(event)) void this.refresh()
    else if (REFETCH_STATUS.test(event)) {
      clearTimeout(this.#statusTimer)
      this.#statusTimer = setTimeout(() => {
        void api.status().then(
          (status) => this.#set({ status }),
          () => {},
        )
      }, 300)
    }
  }

  #set(patch: Partial<CloudState>): void {
    this.#state = { ...this.#state, ...patch, ...(patch.status && { statusAt: Date.now() }) }
    this.#notify()
  }

  #notify(): void {
    for (const listener of this.#listeners) listener()
  }
}

export const cloudStore = new CloudStore()
