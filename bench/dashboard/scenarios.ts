import type { TestNode } from '../../test/helpers/test-cloud.ts'
import type { Dashboard, Transfer } from './browser.ts'
import { type BenchCloud, type EventStream, now } from './cloud.ts'
import type { LoadTarget, LoadTimes } from './page-probe.ts'

/** One publish on node 1 seen on node 3: bench-clock ms after t0 (just before the POST). */
export interface PublishSample {
  rep: number
  key: string
  /** the POST returned */
  apiMs: number
  /** node 3's event stream (read by this process) delivered service:published */
  sseMs: number | null
  /** the page's EventSource dispatched it */
  pageEventMs: number | null
  /** the row is in the page's DOM (MutationObserver) */
  rowMs: number | null
  /** the next animation frame after that: the frame that paints the row */
  rowFrameMs: number | null
  /** after the DELETE: node 3's service:removed and the row gone from the DOM, ms after its t0 */
  removedSseMs: number | null
  removedPageEventMs: number | null
  removedRowMs: number | null
  /** the page-minus-bench clock offset and the round trip that bounds its error */
  clockOffsetMs: number
  clockRttMs: number
}

/** One SIGKILL of a member seen on node 3's Nodes page, ms after t0 (just before the signal). */
export interface KillSample {
  rep: number
  victim: string
  suspectSseMs: number | null
  suspectRowMs: number | null
  deadSseMs: number | null
  deadPageEventMs: number | null
  deadRowMs: number | null
  deadFrameMs: number | null
  /** restart: ms from spawning the daemon until its API answered, alive on node 3 (SSE), row Alive */
  restartApiMs: number | null
  aliveSseMs: number | null
  aliveRowMs: number | null
  clockOffsetMs: number
  clockRttMs: number
  /** the survivors' log lines "declaring a member suspect/dead" about the victim, ms after t0 */
  claims: string[]
}

/** One navigation to a dashboard page. */
export interface LoadSample {
  path: string
  rep: number
  cold: boolean
  times: LoadTimes
  transfer: Transfer
}

export type Progress = (text: string) => void

const rowOf = (key: string) => `tr[data-row="${key}"]`
const since = (t0: number, t: number | null | undefined) => (t === null || t === undefined ? null : t - t0)

/**
 * Publishes a service on node 1 and waits for its row on node 3's Services page, with node 3's own
 * event stream as the split point; then unpublishes it and waits for the row to go.
 */
export async function measurePublish(
  cloud: BenchCloud,
  dash: Dashboard,
  stream: EventStream,
  ports: number[],
  rep: number,
  timeoutMs: number,
): Promise<PublishSample> {
  const node1 = cloud.node(1)
  const port = ports[(rep - 1) % ports.length] as number
  const type = 'web'
  const key = `${node1.name}/${type}/${port}`
  const isOurs = (d: Record<string, unknown>) =>
    d.nodeName === node1.name && d.type === type && d.port === port

  const clock = await dash.clockOffset()
  const row = await dash.watch({ all: [rowOf(key)] })
  const pageMark = await dash.mark()
  const sseMark = stream.mark()

  const t0 = now()
  await node1.api('POST', '/services', { type, port, description: `Bench service ${rep}` })
  const apiMs = now() - t0
  const [sse, hit] = await Promise.all([
    stream.next('service:published', isOurs, sseMark, timeoutMs),
    dash.hit(row, timeoutMs),
  ])
  const pageEvent = await dash.eventAt(pageMark, 'service:published', key)
  if (hit?.already) throw new Error(`the row of ${key} was there before the publish`)
  const toBench = (t: number | null | undefined) =>
    t === null || t === undefined ? null : t - clock.offsetMs

  // withdraw it, and wait until the page shows the catalogue without it
  const gone = await dash.watch({ none: [rowOf(key)] })
  const removedMark = stream.mark()
  const removedPageMark = await dash.mark()
  const r0 = now()
  await node1.api('DELETE', `/services/${type}/${port}`)
  const [removed, goneHit] = await Promise.all([
    stream.next('service:removed', isOurs, removedMark, timeoutMs),
    dash.hit(gone, timeoutMs),
  ])
  const removedPageEvent = await dash.eventAt(removedPageMark, 'service:removed', key)

  return {
    rep,
    key,
    apiMs,
    sseMs: since(t0, sse?.at),
    pageEventMs: since(t0, toBench(pageEvent)),
    rowMs: since(t0, toBench(hit?.domAt)),
    rowFrameMs: since(t0, toBench(hit?.frameAt)),
    removedSseMs: since(r0, removed?.at),
    removedPageEventMs: since(r0, toBench(removedPageEvent)),
    removedRowMs: since(r0, toBench(goneHit?.domAt)),
    clockOffsetMs: clock.offsetMs,
    clockRttMs: clock.rttMs,
  }
}

const isMember = (name: string) => (d: Record<string, unknown>) => d.name === name

/**
 * SIGKILLs `victim` with node 3's Nodes page open: until its row says Suspect and then Dead, and
 * node 3's stream emitted member:suspected and member:died. Then restarts it and waits until node 3
 * and the page show it alive again, and every node sees every node alive.
 */
export async function measureKill(
  cloud: BenchCloud,
  dash: Dashboard,
  stream: EventStream,
  victim: TestNode,
  rep: number,
  timeoutMs: number,
): Promise<KillSample> {
  const row = `tr[data-row="${victim.name}"]`
  const clock = await dash.clockOffset()
  const suspect = await dash.watch({ all: [`${row} [data-status="suspect"]`] })
  const dead = await dash.watch({ all: [`${row} [data-status="dead"]`] })
  const pageMark = await dash.mark()
  const sseMark = stream.mark()
  const toBench = (t: number | null | undefined) =>
    t === null || t === undefined ? null : t - clock.offsetMs

  const t0 = now()
  await victim.kill()
  const [suspectSse, deadSse, suspectHit, deadHit] = await Promise.all([
    stream.next('member:suspected', isMember(victim.name), sseMark, timeoutMs),
    stream.next('member:died', isMember(victim.name), sseMark, timeoutMs),
    dash.hit(suspect, timeoutMs),
    dash.hit(dead, timeoutMs),
  ])
  const deadPageEvent = await dash.eventAt(pageMark, 'member:died', victim.name)
  const claims = cloud.nodes
    .filter((n) => n !== victim)
    .flatMap((n) =>
      claimLines(n.log, victim.name, t0).map((c) => ({
        ...c,
        text: `${n.name} ${c.status} +${Math.round(c.at - t0)} ms`,
      })),
    )
    .sort((a, b) => a.at - b.at)
    .map((c) => c.text)

  const alive = await dash.watch({ all: [`${row} [data-status="alive"]`] })
  const aliveMark = stream.mark()
  const r0 = now()
  await victim.start()
  const restartApiMs = now() - r0
  const [aliveSse, aliveHit] = await Promise.all([
    stream.next(
      ['member:joined', 'member:recovered', 'member:updated'],
      (d) => d.name === victim.name && d.status === 'alive',
      aliveMark,
      timeoutMs,
    ),
    dash.hit(alive, timeoutMs),
  ])
  await cloud.converge(timeoutMs)

  return {
    rep,
    victim: victim.name,
    suspectSseMs: since(t0, suspectSse?.at),
    suspectRowMs: since(t0, toBench(suspectHit?.domAt)),
    deadSseMs: since(t0, deadSse?.at),
    deadPageEventMs: since(t0, toBench(deadPageEvent)),
    deadRowMs: since(t0, toBench(deadHit?.domAt)),
    deadFrameMs: since(t0, toBench(deadHit?.frameAt)),
    restartApiMs,
    aliveSseMs: since(r0, aliveSse?.at),
    aliveRowMs: since(r0, toBench(aliveHit?.domAt)),
    clockOffsetMs: clock.offsetMs,
    clockRttMs: clock.rttMs,
    claims,
  }
}

/**
 * A node's own claims about `name` after `from`, from its pino log ("declaring a member suspect"
 * and "... dead", logged when it gossips the claim; `time` is the daemon's Date.now()).
 */
function claimLines(log: string, name: string, from: number): { status: string; at: number }[] {
  const out: { status: string; at: number }[] = []
  for (const line of log.split('\n')) {
    if (!line.includes('declaring a member')) continue
    try {
      const l = JSON.parse(line) as { time?: number; name?: string; status?: string }
      if (l.name === name && typeof l.time === 'number' && l.time >= from - 1000 && l.status)
        out.push({ status: l.status, at: l.time })
    } catch {
      // a line cut by the pipe
    }
  }
  return out
}

/** Loads one page of the dashboard by URL (a fresh document, the session cookie already set). */
export async function measureLoad(
  dash: Dashboard,
  apiUrl: string,
  target: LoadTarget,
  rep: number,
  cold: boolean,
  timeoutMs: number,
): Promise<LoadSample> {
  const { times, transfer } = await dash.load(`${apiUrl}${target.path}`, cold, timeoutMs)
  return { path: target.path, rep, cold, times, transfer }
}
