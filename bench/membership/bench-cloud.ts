import type { MemberView } from '../../src/membership/types.ts'
import type { Timing } from '../../src/node/config.ts'
import { joinCloudOffline } from '../../src/node/offline.ts'
import {
  createTestCloud,
  eventually,
  prepareNode,
  sleep,
  type TestCloud,
  type TestNode,
} from '../../test/helpers/test-cloud.ts'
import { EventHub } from './event-hub.ts'

export interface LogLine {
  time: number
  level: number
  msg: string
  /** the member a membership line is about */
  name?: string
}

/** The daemon's pino lines (JSON with `time` in ms since epoch). */
export function parseLog(text: string): LogLine[] {
  const out: LogLine[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const parsed = JSON.parse(line) as Partial<LogLine>
      if (typeof parsed.time === 'number' && typeof parsed.msg === 'string') out.push(parsed as LogLine)
    } catch {
      // a line cut by the pipe: skip it
    }
  }
  return out
}

/** When the node first logged `msg`, by its own clock (the same clock as this process). */
export function logTime(node: TestNode, msg: string): number | undefined {
  return parseLog(node.log).find((l) => l.msg === msg)?.time
}

/** Log lines of the given messages within [from, to] across nodes (about one member), counted by message. */
export function countLogLines(
  nodes: TestNode[],
  msgs: string[],
  from: number,
  to: number,
  about?: string,
): Map<string, number> {
  const counts = new Map(msgs.map((m) => [m, 0]))
  for (const node of nodes) {
    for (const line of parseLog(node.log)) {
      if (line.time < from || line.time > to || (about !== undefined && line.name !== about)) continue
      const c = counts.get(line.msg)
      if (c !== undefined) counts.set(line.msg, c + 1)
    }
  }
  return counts
}

/** Per node: its log lines `msg` within [from, to] about members other than `except`. */
export function claimsBy(
  nodes: TestNode[],
  msg: string,
  from: number,
  to: number,
  except: string,
): Record<string, number> {
  const out: Record<string, number> = {}
  for (const node of nodes) {
    const n = parseLog(node.log).filter(
      (l) => l.msg === msg && l.time >= from && l.time <= to && l.name !== except,
    ).length
    if (n > 0) out[node.name] = n
  }
  return out
}

/**
 * A cloud of `n` daemons, each watched through its event stream. `timing: {}` (the default) keeps
 * config.json's defaults, the product's figures; the test helper's own default is the fast test timing.
 */
export class BenchCloud {
  readonly hub = new EventHub()
  readonly cloud: TestCloud
  /** the n members that are measured; joiners come and go */
  readonly core: TestNode[]
  readonly #timing: Partial<Timing>

  private constructor(cloud: TestCloud, timing: Partial<Timing>) {
    this.cloud = cloud
    this.core = [...cloud.nodes]
    this.#timing = timing
  }

  static async create(
    n: number,
    timing: Partial<Timing>,
    progress: (text: string) => void,
  ): Promise<BenchCloud> {
    const cloud = await createTestCloud(1, { timing })
    const bench = new BenchCloud(cloud, timing)
    try {
      for (let i = 1; i < n; i++) {
        const node = await bench.prepareMember(bench.core[i - 1] as TestNode)
        await node.start()
        bench.core.push(node)
        if ((i + 1) % 10 === 0 || i + 1 === n) progress(`${i + 1}/${n} nodes started`)
      }
      for (const node of bench.core) await bench.hub.subscribe(node)
      await bench.converge(180_000)
    } catch (err) {
      await bench.cleanup()
      throw err
    }
    return bench
  }

  /**
   * Prepares a fresh node joined (offline, as `cloudy join` does) by an invite of `inviter`; not
   * started. Unlike TestCloud.addNode, which always asks node-1, the inviter varies: a member's join
   * server takes at most 10 join attempts a minute from one IP (JOIN_DEFAULTS.attemptsPerMinute),
   * and here every joiner is 127.0.0.1.
   */
  async prepareMember(inviter: TestNode): Promise<TestNode> {
    const node = await prepareNode(this.cloud.root, `node-${this.cloud.nodes.length + 1}`, {
      timing: this.#timing,
    })
    this.cloud.nodes.push(node)
    // the join handshake has a 5 s bound per address: on a loaded machine, try again
    for (let attempt = 1; ; attempt++) {
      try {
        const invite = await inviter.api<{ code: string }>('POST', '/invites', { expires: '1h' })
        await joinCloudOffline(node.dataDir, invite.code)
        return node
      } catch (err) {
        if (attempt >= 3) throw err
        await sleep(2000)
      }
    }
  }

  names(): string[] {
    return this.core.map((node) => node.name)
  }

  /** Waits until every core node lists every core node alive. */
  async converge(timeoutMs = 60_000): Promise<void> {
    const all = this.names()
    await Promise.all(
      this.core.map((node) =>
        eventually(
          async () => {
            const alive = new Set(
              (await node.api<MemberView[]>('GET', '/nodes'))
                .filter((m) => m.status === 'alive')
                .map((m) => m.name),
            )
            return all.every((name) => alive.has(name))
          },
          `${node.name} to see all ${all.length} members alive`,
          timeoutMs,
        ),
      ),
    )
  }

  pids(): number[] {
    return this.core.map((node) => node.proc?.pid).filter((pid): pid is number => pid !== undefined)
  }

  async cleanup(): Promise<void> {
    this.hub.close()
    await this.cloud.cleanup()
  }
}
