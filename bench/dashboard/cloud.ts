import { mkdir } from 'node:fs/promises'
import type { MemberView } from '../../src/membership/types.ts'
import type { Timing } from '../../src/node/config.ts'
import { joinCloudOffline } from '../../src/node/offline.ts'
import { eventually, prepareNode, type TestNode } from '../../test/helpers/test-cloud.ts'

/** This process's clock in ms since the epoch, with sub-ms resolution (the page uses the same). */
export const now = (): number => performance.timeOrigin + performance.now()

/**
 * A cloud of real daemons on 127.0.0.1 in a dir of this run, built as test/helpers'
 * createTestCloud does (node-1 creates the cloud, the others join with its invites) but with the
 * timing given here, and tracked from the first node on so that an interrupted start is cleaned up.
 */
export class BenchCloud {
  readonly nodes: TestNode[] = []
  /** the nodes' data dirs go here; the caller removes it */
  readonly root: string

  constructor(root: string) {
    this.root = root
  }

  async start(n: number, timing: Timing): Promise<void> {
    await mkdir(this.root, { recursive: true })
    for (let i = 1; i <= n; i++) {
      const node = await prepareNode(this.root, `node-${i}`, {
        timing,
        ...(i === 1 ? { cloud: 'bench cloud' } : {}),
      })
      this.nodes.push(node)
      if (i > 1) {
        const invite = await (this.nodes[0] as TestNode).api<{ code: string }>('POST', '/invites', {
          expires: '1h',
        })
        await joinCloudOffline(node.dataDir, invite.code)
      }
      await node.start()
    }
  }

  node(i: number): TestNode {
    const node = this.nodes[i - 1]
    if (!node) throw new Error(`no node ${i}`)
    return node
  }

  /** Waits until every node lists every node alive. */
  async converge(timeoutMs: number): Promise<void> {
    const names = this.nodes.map((n) => n.name)
    await Promise.all(
      this.nodes.map((node) =>
        eventually(
          async () => {
            const members = await node.api<MemberView[]>('GET', '/nodes')
            return names.every((name) => members.some((m) => m.name === name && m.status === 'alive'))
          },
          `${node.name} to see all ${names.length} members alive`,
          timeoutMs,
        ),
      ),
    )
  }

  pids(): number[] {
    return this.nodes.map((n) => n.proc?.pid).filter((pid): pid is number => pid !== undefined)
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill().catch(() => {})))
  }
}

/** One server-sent event as this process received it. */
export interface StreamEvent {
  event: string
  data: Record<string, unknown>
  /** now() when the chunk holding it arrived */
  at: number
}

interface Waiter {
  from: number
  test: (e: StreamEvent) => boolean
  resolve: (e: StreamEvent) => void
}

/**
 * `GET /api/v1/events` of one node with its CLI token, read with fetch streaming: every event is
 * timestamped the moment its chunk arrives. Waiters ask for the first matching event after a mark.
 */
export class EventStream {
  readonly received: StreamEvent[] = []
  readonly notes: string[] = []
  readonly #abort = new AbortController()
  readonly #waiters = new Set<Waiter>()

  async open(node: TestNode, timeoutMs = 15_000): Promise<void> {
    const timer = setTimeout(
      () => this.#abort.abort(new Error('the event stream did not connect')),
      timeoutMs,
    )
    try {
      const res = await fetch(`${node.apiUrl}/api/v1/events`, {
        headers: { authorization: `Bearer ${node.token}`, accept: 'text/event-stream' },
        signal: this.#abort.signal,
      })
      if (!res.ok || res.body === null) throw new Error(`GET /events on ${node.name}: ${res.status}`)
      const reader = res.body.getReader()
      await new Promise<void>((connected, failed) => {
        this.#read(node.name, reader, connected).catch(failed)
      })
    } finally {
      clearTimeout(timer)
    }
  }

  /** The position to wait from: events received before it do not count. */
  mark(): number {
    return this.received.length
  }

  /** The first event named `events` matching `test` received at or after `from`, or undefined after the bound. */
  next(
    events: string | string[],
    test: (data: Record<string, unknown>) => boolean,
    from: number,
    timeoutMs: number,
  ): Promise<StreamEvent | undefined> {
    const names = new Set(typeof events === 'string' ? [events] : events)
    const match = (e: StreamEvent) => names.has(e.event) && test(e.data)
    const found = this.received.slice(from).find(match)
    if (found) return Promise.resolve(found)
    return new Promise((resolve) => {
      const waiter: Waiter = {
        from,
        test: match,
        resolve: (e) => {
          clearTimeout(timer)
          this.#waiters.delete(waiter)
          resolve(e)
        },
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        resolve(undefined)
      }, timeoutMs)
      this.#waiters.add(waiter)
    })
  }

  close(): void {
    this.#abort.abort()
    for (const w of this.#waiters) this.#waiters.delete(w)
  }

  async #read(
    observer: string,
    reader: ReadableStreamDefaultReader<Uint8Array>,
    connected: () => void,
  ): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    let isConnected = false
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        const at = now()
        buffer += decoder.decode(value, { stream: true })
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          if (!isConnected && block.includes(': connected')) {
            isConnected = true
            connected()
          }
          this.#dispatch(block, at)
        }
      }
    } catch (err) {
      if (!this.#abort.signal.aborted)
        this.notes.push(`${observer}: event stream failed: ${(err as Error).message}`)
      if (!isConnected) throw err
      return
    }
    if (!isConnected) throw new Error(`${observer}: event stream closed before it connected`)
    if (!this.#abort.signal.aborted) this.notes.push(`${observer}: event stream ended`)
  }

  #dispatch(block: string, at: number): void {
    let event = ''
    let raw = ''
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) raw += line.slice(6)
    }
    if (event === '' || raw === '') return
    let data: Record<string, unknown>
    try {
      data = JSON.parse(raw) as Record<string, unknown>
    } catch {
      return
    }
    const e: StreamEvent = { event, data, at }
    const index = this.received.push(e) - 1
    for (const w of [...this.#waiters]) if (index >= w.from && w.test(e)) w.resolve(e)
  }
}
