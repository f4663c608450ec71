import type { MemberView } from '../../src/membership/types.ts'
import { eventually, sleep, type TestNode } from '../../test/helpers/test-cloud.ts'
import { type BenchCloud, claimsBy, countLogLines, logTime } from './bench-cloud.ts'
import type { Collected } from './event-hub.ts'
import {
  busyPct,
  cpuTotals,
  type IdleCost,
  loadAverage,
  measureIdleCost,
  processesCpuPct,
  sampleProc,
} from './proc-stats.ts'

/** One measurement of a fresh node joining a cloud of n. */
export interface JoinSample {
  joiner: string
  /** process spawn → its overlay listens ("overlay started" in its log) */
  bootMs: number
  /** process spawn → "Cloudy node started" (API up, daemon.json written) */
  readyMs: number
  /** per existing member: its member:joined for the joiner, from the joiner's overlay start */
  fromOverlayMs: number[]
  /** the same from the joiner's process spawn */
  fromSpawnMs: number[]
  /** per member: event-stream delivery, i.e. our receipt − the member's own statusSince */
  deliveryMs: number[]
  /** slowest member, from overlay start / spawn; undefined when a member missed it */
  allFromOverlayMs?: number
  allFromSpawnMs?: number
  /** until the joiner lists every existing member, from its overlay start */
  joinerKnowsAllMs?: number
  /** graceful stop of the joiner → member:left at every member */
  leaveAllMs?: number
  /** members that saw the stopped joiner die instead of leave, or saw neither in time */
  leaveSeenAsDead: number
  leaveMissing: number
  missing: string[]
}

export interface ServiceSample {
  publisher: string
  /** per other member: service:published, from just before POST /services */
  visibleMs: number[]
  allMs?: number
  /** the publishing node's own event */
  selfMs?: number
  /** DELETE → service:removed at every other member */
  removedAllMs?: number
  missing: string[]
}

export interface FailureSample {
  victim: string
  /** per other member: first member:suspected, from SIGKILL */
  suspectMs: number[]
  /** per other member: member:died, from SIGKILL */
  deadMs: number[]
  deadAllMs?: number
  missing: string[]
  /** members that went straight to dead (they heard the dead claim before any suspicion) */
  noSuspectEvent: number
  /** spawn of the restarted node → member:joined (alive again) at every other member */
  rejoinAllMs?: number
  /** suspected/died verdicts about members other than the victim during this repetition */
  collateral: number
  collateralDied: number
  /** per node, suspect claims it made about members other than the victim */
  collateralAccusers: Record<string, number>
  /** suspect and dead claims the other members made about the victim (their log lines) */
  suspectClaims: number
  deadClaims: number
}

export interface QuietWindow {
  seconds: number
  /** events at all observers about core members */
  suspectedEvents: number
  diedEvents: number
  recoveredEvents: number
  /** log lines: a node claiming suspect / dead, a node refuting a suspicion about itself */
  suspectClaims: number
  deadClaims: number
  refutations: number
  /** subject → suspected events, for the members that were accused */
  accused: Record<string, number>
  idle: IdleCost
  loadAvgStart: number
  loadAvgEnd: number
  /** the whole machine's busy share over the window (all cores = 100 %) */
  machineBusyPct: number
  /** all nodes of the cloud together over the window, in % of one core */
  cloudCpuPct: number
}

const LOG_SUSPECT = 'declaring a member suspect'
const LOG_DEAD = 'declaring a member dead'
const LOG_REFUTE = 'refuting a suspicion about this node'

const since = (c: Collected, from: number) => [...c.seen.values()].map((e) => e.t - from)
const allOf = (c: Collected, from: number) =>
  c.missing.length === 0 && c.seen.size > 0 ? Math.max(...since(c, from)) : undefined

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T
}

/** Adds one fresh node (invited by a random member), times how the cloud learns it, then stops it gracefully. */
export async function measureJoin(bench: BenchCloud, timeoutMs: number): Promise<JoinSample> {
  const observers = bench.names()
  const joiner = await bench.prepareMember(pick(bench.core))
  const joined = bench.hub.collect('member:joined', observers, (d) => d.name === joiner.name)
  const spawnedAt = Date.now()
  try {
    await joiner.start()
  } catch (err) {
    joined.stop()
    throw err
  }
  const result = await joined.wait(timeoutMs)
  const overlayAt = logTime(joiner, 'overlay started') ?? spawnedAt
  const delivery = [...result.seen.values()]
    .filter((e) => typeof e.data.statusSince === 'number')
    .map((e) => e.t - (e.data.statusSince as number))

  let joinerKnowsAllMs: number | undefined
  try {
    let view: MemberView[] = []
    await eventually(
      async () => {
        view = await joiner.api<MemberView[]>('GET', '/nodes')
        const alive = new Set(view.filter((m) => m.status === 'alive').map((m) => m.name))
        return observers.every((name) => alive.has(name))
      },
      `${joiner.name} to know every member`,
      timeoutMs,
    )
    const learned = view.filter((m) => observers.includes(m.name)).map((m) => m.statusSince)
    joinerKnowsAllMs = Math.max(...learned) - overlayAt
  } catch {
    joinerKnowsAllMs = undefined
  }

  // daemon.json appears (TestNode.start returns) before `cloudy start` installs its SIGINT/SIGTERM
  // handlers; a SIGTERM in between kills the daemon without a graceful leave. Wait for the line
  // printed just before the handlers go in.
  await eventually(() => joiner.log.includes('Press Ctrl-C to stop.'), `${joiner.name} to be up`, timeoutMs)
  const readyAt = logTime(joiner, 'Cloudy node started') ?? Date.now()
  const gone = bench.hub.collect(['member:left', 'member:died'], observers, (d) => d.name === joiner.name)
  const stoppedAt = Date.now()
  await joiner.stop()
  const goneResult = await gone.wait(timeoutMs)
  const leftResult: Collected = {
    seen: new Map([...goneResult.seen].filter(([, e]) => e.event === 'member:left')),
    missing: [
      ...goneResult.missing,
      ...[...goneResult.seen].filter(([, e]) => e.event !== 'member:left').map(([n]) => n),
    ],
  }
  return {
    joiner: joiner.name,
    bootMs: overlayAt - spawnedAt,
    readyMs: readyAt - spawnedAt,
    fromOverlayMs: since(result, overlayAt),
    fromSpawnMs: since(result, spawnedAt),
    deliveryMs: delivery,
    allFromOverlayMs: allOf(result, overlayAt),
    allFromSpawnMs: allOf(result, spawnedAt),
    joinerKnowsAllMs,
    leaveAllMs: allOf(leftResult, stoppedAt),
    leaveSeenAsDead: goneResult.seen.size - leftResult.seen.size,
    leaveMissing: goneResult.missing.length,
    missing: result.missing,
  }
}

/** Publishes a service on a random member and times until every member lists it; then withdraws it. */
export async function measureService(
  bench: BenchCloud,
  rep: string,
  port: number,
  timeoutMs: number,
): Promise<ServiceSample> {
  const publisher = pick(bench.core)
  const others = bench.names().filter((n) => n !== publisher.name)
  const type = `bench-${rep}`
  const published = bench.hub.collect('service:published', bench.names(), (d) => d.type === type)
  const postedAt = Date.now()
  await publisher.api('POST', '/services', { type, port, description: 'membership benchmark' })
  const result = await published.wait(timeoutMs)
  const self = result.seen.get(publisher.name)
  result.seen.delete(publisher.name)

  const removed = bench.hub.collect('service:removed', others, (d) => d.type === type)
  const deletedAt = Date.now()
  await publisher.api('DELETE', `/services/${type}/${port}`)
  const removedResult = await removed.wait(timeoutMs)
  return {
    publisher: publisher.name,
    visibleMs: since(result, postedAt),
    allMs: allOf(result, postedAt),
    ...(self ? { selfMs: self.t - postedAt } : {}),
    removedAllMs: allOf(removedResult, deletedAt),
    missing: result.missing.filter((n) => n !== publisher.name),
  }
}

/**
 * SIGKILLs a random member, times suspicion and death at every other member, then restarts it and
 * waits until it is alive everywhere again.
 */
export async function measureFailure(bench: BenchCloud, timeoutMs: number): Promise<FailureSample> {
  const victim = pick(bench.core)
  const others = bench.names().filter((n) => n !== victim.name)
  const about = (d: { name?: string }) => d.name === victim.name
  const suspected = bench.hub.collect('member:suspected', others, about)
  const died = bench.hub.collect('member:died', others, about)
  bench.hub.unsubscribe(victim.name)
  const verdictsBefore = bench.hub.verdicts.length
  const killedAt = Date.now()
  const startedAt = killedAt
  await victim.kill()
  const deadResult = await died.wait(timeoutMs)
  const suspectResult = suspected.stop()
  const survivors = bench.core.filter((n) => n !== victim)
  const claims = countLogLines(survivors, [LOG_SUSPECT, LOG_DEAD], killedAt, Date.now() + 1000, victim.name)

  const rejoined = bench.hub.collect('member:joined', others, about)
  const spawnedAt = Date.now()
  await victim.start()
  await bench.hub.subscribe(victim)
  const rejoinResult = await rejoined.wait(timeoutMs)
  await waitUntilKnowsAll(victim, bench.names(), timeoutMs)
  const collateralVerdicts = bench.hub.verdicts
    .slice(verdictsBefore)
    .filter((v) => v.data.name !== victim.name)
  const collateral = collateralVerdicts.filter(
    (v) => v.event === 'member:suspected' || v.event === 'member:died',
  ).length
  const collateralDied = collateralVerdicts.filter((v) => v.event === 'member:died').length
  const collateralAccusers = claimsBy(bench.core, LOG_SUSPECT, startedAt, Date.now() + 1000, victim.name)
  return {
    victim: victim.name,
    suspectMs: since(suspectResult, killedAt),
    deadMs: since(deadResult, killedAt),
    deadAllMs: allOf(deadResult, killedAt),
    missing: deadResult.missing,
    noSuspectEvent: others.filter((n) => deadResult.seen.has(n) && !suspectResult.seen.has(n)).length,
    rejoinAllMs: allOf(rejoinResult, spawnedAt),
    collateral,
    collateralDied,
    collateralAccusers,
    suspectClaims: claims.get(LOG_SUSPECT) ?? 0,
    deadClaims: claims.get(LOG_DEAD) ?? 0,
  }
}

export interface FreezeSample {
  victim: string
  /** per other member: first member:suspected, from SIGSTOP */
  suspectMs: number[]
  /** per other member: member:died, from SIGSTOP */
  deadMs: number[]
  deadAllMs?: number
  missing: string[]
  suspectClaims: number
  deadClaims: number
  /** SIGCONT → alive again at every other member (the node refutes its death) */
  thawAllMs?: number
  /** suspected/died verdicts about members other than the frozen one during this repetition */
  collateral: number
  collateralDied: number
  /** per node, suspect claims it made about members other than the frozen one */
  collateralAccusers: Record<string, number>
}

/**
 * SIGSTOPs a random member: unlike a kill, its TCP connections stay open, so nothing but the probes
 * notices (a hung machine, a pulled cable). Times suspicion and death everywhere, then SIGCONTs it and
 * times until it has refuted its death at every other member.
 */
export async function measureFreeze(bench: BenchCloud, timeoutMs: number): Promise<FreezeSample> {
  const victim = pick(bench.core)
  const proc = victim.proc
  if (proc === undefined) throw new Error(`${victim.name} is not running`)
  const others = bench.names().filter((n) => n !== victim.name)
  const about = (d: { name?: string }) => d.name === victim.name
  const suspected = bench.hub.collect('member:suspected', others, about)
  const died = bench.hub.collect('member:died', others, about)
  bench.hub.unsubscribe(victim.name)
  const verdictsBefore = bench.hub.verdicts.length
  const frozenAt = Date.now()
  const startedAt = frozenAt
  proc.kill('SIGSTOP')
  let deadResult: Collected
  let suspectResult: Collected
  let thawResult: Collected
  let thawedAt: number
  try {
    deadResult = await died.wait(timeoutMs)
    suspectResult = suspected.stop()
  } finally {
    const alive = bench.hub.collect(['member:joined', 'member:recovered'], others, about)
    thawedAt = Date.now()
    proc.kill('SIGCONT')
    thawResult = await alive.wait(timeoutMs)
  }
  await bench.hub.subscribe(victim)
  await waitUntilKnowsAll(victim, bench.names(), timeoutMs)
  const survivors = bench.core.filter((n) => n !== victim)
  const claims = countLogLines(survivors, [LOG_SUSPECT, LOG_DEAD], frozenAt, thawedAt, victim.name)
  const collateralVerdicts = bench.hub.verdicts
    .slice(verdictsBefore)
    .filter((v) => v.data.name !== victim.name)
  const collateral = collateralVerdicts.filter(
    (v) => v.event === 'member:suspected' || v.event === 'member:died',
  ).length
  const collateralDied = collateralVerdicts.filter((v) => v.event === 'member:died').length
  const collateralAccusers = claimsBy(bench.core, LOG_SUSPECT, startedAt, Date.now() + 1000, victim.name)
  return {
    victim: victim.name,
    suspectMs: since(suspectResult, frozenAt),
    deadMs: since(deadResult, frozenAt),
    deadAllMs: allOf(deadResult, frozenAt),
    missing: deadResult.missing,
    suspectClaims: claims.get(LOG_SUSPECT) ?? 0,
    deadClaims: claims.get(LOG_DEAD) ?? 0,
    thawAllMs: allOf(thawResult, thawedAt),
    collateral,
    collateralDied,
    collateralAccusers,
  }
}

async function waitUntilKnowsAll(node: TestNode, names: string[], timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      const alive = new Set(
        (await node.api<MemberView[]>('GET', '/nodes'))
          .filter((m) => m.status === 'alive')
          .map((m) => m.name),
      )
      return names.every((n) => alive.has(n))
    },
    `${node.name} to see every member alive`,
    timeoutMs,
  ).catch(() => {})
}

/**
 * Leaves the healthy cloud alone for `seconds` and counts every suspicion and death verdict about
 * its members; the first `idleSeconds` also measure RSS and CPU per node.
 */
export async function measureQuiet(
  bench: BenchCloud,
  seconds: number,
  idleSeconds: number,
  progress: (text: string) => void,
): Promise<QuietWindow> {
  const names = new Set(bench.names())
  const verdictsBefore = bench.hub.verdicts.length
  const loadAvgStart = loadAverage()
  const pids = bench.pids()
  const procsBefore = await Promise.all(pids.map(sampleProc))
  const machineBefore = await cpuTotals()
  const from = Date.now()
  const end = from + seconds * 1000
  const idle = await measureIdleCost(pids, Math.min(idleSeconds, seconds))
  for (let now = Date.now(); now < end; now = Date.now()) {
    await sleep(Math.min(60_000, end - now))
    const verdicts = bench.hub.verdicts.slice(verdictsBefore)
    progress(
      `quiet window ${Math.round((Date.now() - from) / 1000)}/${seconds} s: ` +
        `${verdicts.filter((v) => v.event === 'member:suspected').length} suspected, ` +
        `${verdicts.filter((v) => v.event === 'member:died').length} died events`,
    )
  }
  const to = Date.now()
  const machineBusy = busyPct(machineBefore, await cpuTotals())
  const cloudCpuPct = processesCpuPct(procsBefore, await Promise.all(pids.map(sampleProc)))
  const verdicts = bench.hub.verdicts
    .slice(verdictsBefore)
    .filter((v) => v.data.name !== undefined && names.has(v.data.name))
  const count = (event: string) => verdicts.filter((v) => v.event === event).length
  const accused: Record<string, number> = {}
  for (const v of verdicts) {
    if (v.event === 'member:suspected' && v.data.name) accused[v.data.name] = (accused[v.data.name] ?? 0) + 1
  }
  const logs = countLogLines(bench.core, [LOG_SUSPECT, LOG_DEAD, LOG_REFUTE], from, to)
  return {
    seconds: Math.round((to - from) / 1000),
    suspectedEvents: count('member:suspected'),
    diedEvents: count('member:died'),
    recoveredEvents: count('member:recovered'),
    suspectClaims: logs.get(LOG_SUSPECT) ?? 0,
    deadClaims: logs.get(LOG_DEAD) ?? 0,
    refutations: logs.get(LOG_REFUTE) ?? 0,
    accused,
    idle,
    loadAvgStart,
    loadAvgEnd: loadAverage(),
    machineBusyPct: machineBusy,
    cloudCpuPct,
  }
}
