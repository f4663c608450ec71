import type { MachineInfo } from './proc-stats.ts'
import type { FailureSample, FreezeSample, JoinSample, QuietWindow, ServiceSample } from './scenarios.ts'
import { formatMs, median, type Summary, summarize } from './stats.ts'

export interface ConditionResult {
  /** two busy-loop processes ran beside the cloud */
  hog: boolean
  quiet?: QuietWindow
  joins: JoinSample[]
  services: ServiceSample[]
  failures: FailureSample[]
  freezes: FreezeSample[]
  errors: string[]
  /** load average and the machine's busy share (all cores = 100 %) during joins, services, kills, freezes */
  churnLoadAvg?: number
  churnMachineBusyPct?: number
}

export interface SizeResult {
  n: number
  buildSeconds?: number
  conditions: ConditionResult[]
  skipped?: string
  notes: string[]
}

export interface BenchParams {
  nodes: number[]
  reps: number
  quietSeconds: number
  idleSeconds: number
  hogs: number
  conditions: string[]
  steps: string[]
  timeoutMs: number
}

export interface BenchResults {
  startedAt: string
  finishedAt?: string
  command: string
  commit: string
  machine: MachineInfo
  params: BenchParams
  /** the membership timing in effect */
  timing: Record<string, unknown>
  /** what --timing changed from the product defaults ({} for the product's figures) */
  timingOverride: Record<string, unknown>
  sizes: SizeResult[]
}

/** The issue's targets (issue 2, section 8) for the headline figures. */
export const TARGETS = {
  joinMs: 1000,
  serviceMs: 1000,
  failureMs: 5000,
  falseDeaths: 0,
  rssMb: 150,
} as const

const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined)
const flat = <T>(xs: T[][]) => xs.flat()

interface Row {
  label: string
  s: Summary
  missed?: number
}

function latencyRows(c: ConditionResult): Row[] {
  const { joins, services, failures, freezes } = c
  const missedJoin = joins.filter((j) => j.allFromOverlayMs === undefined).length
  const missedService = services.filter((s) => s.allMs === undefined).length
  const missedDead = failures.filter((f) => f.deadAllMs === undefined).length
  return [
    {
      label: 'join: known by all members, from joiner overlay start',
      s: summarize(defined(joins.map((j) => j.allFromOverlayMs))),
      missed: missedJoin,
    },
    {
      label: 'join: per member, from joiner overlay start',
      s: summarize(flat(joins.map((j) => j.fromOverlayMs))),
    },
    {
      label: 'join: known by all members, from joiner process spawn',
      s: summarize(defined(joins.map((j) => j.allFromSpawnMs))),
      missed: missedJoin,
    },
    {
      label: 'join: per member, from joiner process spawn',
      s: summarize(flat(joins.map((j) => j.fromSpawnMs))),
    },
    { label: 'joiner boot: spawn → overlay listening', s: summarize(joins.map((j) => j.bootMs)) },
    { label: 'joiner ready: spawn → API up', s: summarize(joins.map((j) => j.readyMs)) },
    {
      label: 'joiner knows all members, from its overlay start',
      s: summarize(defined(joins.map((j) => j.joinerKnowsAllMs))),
    },
    { label: 'graceful leave: left at all members', s: summarize(defined(joins.map((j) => j.leaveAllMs))) },
    {
      label: 'service: visible at all members, from POST',
      s: summarize(defined(services.map((s) => s.allMs))),
      missed: missedService,
    },
    { label: 'service: per member, from POST', s: summarize(flat(services.map((s) => s.visibleMs))) },
    { label: 'service: at the publisher, from POST', s: summarize(defined(services.map((s) => s.selfMs))) },
    {
      label: 'service withdrawal: removed at all members',
      s: summarize(defined(services.map((s) => s.removedAllMs))),
    },
    { label: 'kill -9: first suspicion per member', s: summarize(flat(failures.map((f) => f.suspectMs))) },
    { label: 'kill -9: dead, per member', s: summarize(flat(failures.map((f) => f.deadMs))) },
    {
      label: 'kill -9: dead at all members',
      s: summarize(defined(failures.map((f) => f.deadAllMs))),
      missed: missedDead,
    },
    {
      label: 'restart after kill: alive at all members, from spawn',
      s: summarize(defined(failures.map((f) => f.rejoinAllMs))),
    },
    {
      label: 'SIGSTOP (silent failure): first suspicion per member',
      s: summarize(flat(freezes.map((f) => f.suspectMs))),
    },
    { label: 'SIGSTOP: dead, per member', s: summarize(flat(freezes.map((f) => f.deadMs))) },
    {
      label: 'SIGSTOP: dead at all members',
      s: summarize(defined(freezes.map((f) => f.deadAllMs))),
      missed: freezes.filter((f) => f.deadAllMs === undefined).length,
    },
    {
      label: 'SIGCONT: refuted, alive again at all members',
      s: summarize(defined(freezes.map((f) => f.thawAllMs))),
    },
    {
      label: 'event-stream delivery (receipt − member’s statusSince)',
      s: summarize(flat(joins.map((j) => j.deliveryMs))),
    },
  ]
}

function conditionName(c: ConditionResult): string {
  return c.hog ? 'with CPU hog' : 'calm'
}

function ratio(value: number, target: number): string {
  if (!Number.isFinite(value)) return '–'
  return `${(value / target).toFixed(2)}×`
}

function headline(sizes: SizeResult[]): string[] {
  const lines = [
    '| N | condition | join, all members p50 (from overlay / spawn) | service, all p50 | kill -9 → dead at all p50 | SIGSTOP → dead at all p50 | false dead (suspected) events | idle RSS median / max | idle CPU median / max |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const size of sizes) {
    for (const c of size.conditions) {
      const joinO = median(defined(c.joins.map((j) => j.allFromOverlayMs)))
      const joinS = median(defined(c.joins.map((j) => j.allFromSpawnMs)))
      const svc = median(defined(c.services.map((s) => s.allMs)))
      const dead = median(defined(c.failures.map((f) => f.deadAllMs)))
      const frozen = median(defined(c.freezes.map((f) => f.deadAllMs)))
      const q = c.quiet
      lines.push(
        `| ${size.n} | ${conditionName(c)} | ${formatMs(joinO)} (${ratio(joinO, TARGETS.joinMs)}) / ${formatMs(joinS)} (${ratio(joinS, TARGETS.joinMs)}) ` +
          `| ${formatMs(svc)} (${ratio(svc, TARGETS.serviceMs)}) | ${formatMs(dead)} (${ratio(dead, TARGETS.failureMs)}) | ${formatMs(frozen)} (${ratio(frozen, TARGETS.failureMs)}) ` +
          `| ${q ? `${q.diedEvents} (${q.suspectedEvents}) in ${Math.round(q.seconds / 60)} min` : '–'} ` +
          `| ${q ? `${q.idle.rssMb.median} / ${q.idle.rssMb.max} MB (${ratio(q.idle.rssMb.max, TARGETS.rssMb)})` : '–'} ` +
          `| ${q ? `${q.idle.cpuPct.median} / ${q.idle.cpuPct.max} %` : '–'} |`,
      )
    }
  }
  return lines
}

/** Who accused members other than the one failed: "the failed node itself" or other members. */
function accusersText(samples: { victim: string; collateralAccusers: Record<string, number> }[]): string {
  let byVictim = 0
  let byOthers = 0
  for (const s of samples) {
    for (const [accuser, n] of Object.entries(s.collateralAccusers)) {
      if (accuser === s.victim) byVictim += n
      else byOthers += n
    }
  }
  if (byVictim + byOthers === 0) return ''
  return ` (suspect claims behind them: ${byVictim} by the failed node itself after it came back, ${byOthers} by other members)`
}

function conditionSection(n: number, c: ConditionResult): string[] {
  const lines = [`### N = ${n}, ${conditionName(c)}`, '']
  const leaves = c.joins.length
  const asDead = c.joins.reduce((s, j) => s + j.leaveSeenAsDead, 0)
  const leaveMissing = c.joins.reduce((s, j) => s + j.leaveMissing, 0)
  lines.push(
    `Repetitions: ${c.joins.length} joins, ${c.services.length} services, ${c.failures.length} kills, ${c.freezes.length} freezes.`,
    '',
  )
  lines.push(
    '| measurement | samples | p50 | p99 | max | missed |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const row of latencyRows(c)) {
    lines.push(
      `| ${row.label} | ${row.s.n} | ${formatMs(row.s.p50)} | ${formatMs(row.s.p99)} | ${formatMs(row.s.max)} | ${row.missed ?? ''} |`,
    )
  }
  const f = c.failures
  if (leaves > 0) {
    lines.push(
      '',
      `Graceful stops of the ${leaves} joiners: ${asDead} member views saw the stopped joiner die instead of ` +
        `leave, ${leaveMissing} saw neither within the wait bound.`,
    )
  }
  if (f.length > 0) {
    const straight = f.reduce((s, x) => s + x.noSuspectEvent, 0)
    const collateral = f.reduce((s, x) => s + x.collateral, 0)
    const collateralDied = f.reduce((s, x) => s + x.collateralDied, 0)
    const claims = f.map((x) => x.suspectClaims)
    lines.push(
      '',
      `Kill repetitions: ${straight} member views went straight from alive to dead (no suspect event seen); ` +
        `${collateral} suspected/died events (${collateralDied} died) about members other than the killed one` +
        `${accusersText(f)}; independent suspect ` +
        `claims about the killed member per kill: median ${median(claims)}, max ${Math.max(...claims)} ` +
        `(the suspicion timeout shrinks from ${'`suspicionMaxMs`'} towards ${'`suspicionMinMs`'} with each one); ` +
        `dead claims per kill: median ${median(f.map((x) => x.deadClaims))}.`,
    )
  }
  const z = c.freezes
  if (z.length > 0) {
    const claims = z.map((x) => x.suspectClaims)
    lines.push(
      '',
      `Freeze repetitions: independent suspect claims about the frozen member per freeze: median ` +
        `${median(claims)}, max ${Math.max(...claims)}; ${z.reduce((s, x) => s + x.collateral, 0)} ` +
        `suspected/died events (${z.reduce((s, x) => s + x.collateralDied, 0)} died) about other members` +
        `${accusersText(z)}.`,
    )
  }
  const q = c.quiet
  if (q) {
    const accused = Object.entries(q.accused)
      .map(([name, count]) => `${name} ×${count}`)
      .join(', ')
    lines.push(
      '',
      `Healthy cloud left alone for ${q.seconds} s (load average ${q.loadAvgStart} → ${q.loadAvgEnd}; ` +
        `machine ${q.machineBusyPct} % busy over all cores, of which this cloud's nodes ` +
        `${q.cloudCpuPct} % of one core):`,
      '',
      '| false verdicts | count |',
      '| --- | ---: |',
      `| member:died events (all observers) | ${q.diedEvents} |`,
      `| member:suspected events (all observers) | ${q.suspectedEvents} |`,
      `| member:recovered events | ${q.recoveredEvents} |`,
      `| suspect claims made (log) | ${q.suspectClaims} |`,
      `| dead claims made (log) | ${q.deadClaims} |`,
      `| refutations (log) | ${q.refutations} |`,
      '',
      accused ? `Accused members: ${accused}.` : 'No member was accused.',
      '',
      `Idle cost over ${q.idle.seconds} s, ${q.idle.nodes} nodes: RSS median ${q.idle.rssMb.median} MB, max ${q.idle.rssMb.max} MB ` +
        `(peak VmHWM ${q.idle.hwmMbMax} MB); CPU median ${q.idle.cpuPct.median} %, max ${q.idle.cpuPct.max} % of one core, ` +
        `all nodes together ${q.idle.cpuPct.sum} %; this benchmark process ${q.idle.benchCpuPct} %.`,
    )
  }
  if (c.churnMachineBusyPct !== undefined)
    lines.push(
      '',
      `During the joins, services, kills and freezes the machine was ${c.churnMachineBusyPct} % busy ` +
        `(all cores = 100 %; load average ${c.churnLoadAvg} at the start).`,
    )
  if (c.errors.length > 0) lines.push('', 'Errors:', '', ...c.errors.map((e) => `- ${e}`))
  lines.push('')
  return lines
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine
  const lines = [
    '# Membership benchmark results',
    '',
    `Run ${r.startedAt} → ${r.finishedAt ?? '(unfinished: partial results)'}, commit ${r.commit}.`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memGiB} GiB, Node ${m.node}, Linux ${m.kernel}. All nodes are ` +
      'daemon processes on 127.0.0.1 of this one machine, started by `test/helpers/test-cloud.ts`.',
    '',
    `Command: \`${r.command}\``,
    '',
    `Parameters: N = ${r.params.nodes.join(', ')}; ${r.params.reps} repetitions of each join, service, kill and freeze; ` +
      `healthy-cloud window ${r.params.quietSeconds} s per condition (idle cost over its first ${r.params.idleSeconds} s); ` +
      `steps: ${r.params.steps.join(', ')}; conditions: ${r.params.conditions.join(', ')} (the hog is ${r.params.hogs} busy-loop node processes); ` +
      `wait bound ${r.params.timeoutMs} ms.`,
    '',
    Object.keys(r.timingOverride).length === 0
      ? `Membership timing: the product defaults (docs/membership.md): \`${JSON.stringify(r.timing)}\``
      : `Membership timing: **not the product defaults**, changed by --timing \`${JSON.stringify(r.timingOverride)}\`: ` +
        `\`${JSON.stringify(r.timing)}\``,
    '',
    '## Headline',
    '',
    `Targets: join and service propagation ≤ ${TARGETS.joinMs} ms median at 20 nodes; failure detection ≤ ` +
      `${TARGETS.failureMs} ms median; no false deaths; idle node ≤ ${TARGETS.rssMb} MB RSS. Ratios are measured / target.`,
    '',
    ...headline(r.sizes),
    '',
    'How it is measured: every node’s `GET /api/v1/events` stream is read by the benchmark process and ' +
      'each event is timestamped on arrival. "From overlay start" begins at the joiner’s log line ' +
      '"overlay started" (same machine clock), just before it announces itself; "from spawn" includes ' +
      'starting the Node.js process. A join is a fresh node invited by a random member and stopped gracefully ' +
      'afterwards; a service is published on a random member (a TCP listener of the benchmark) and then ' +
      'withdrawn; a kill is SIGKILL of a random member, which is then restarted; a ' +
      'freeze is SIGSTOP of such a member (its TCP connections stay open, as with a hung machine or a ' +
      'pulled cable), then SIGCONT. ' +
      'Per-member figures pool all (repetition × member) samples; "all members" figures are one sample ' +
      'per repetition (the slowest member). Percentiles are nearest-rank, so with few repetitions p99 is the maximum.',
    '',
    '## Details',
    '',
  ]
  for (const size of r.sizes) {
    if (size.skipped) {
      lines.push(`### N = ${size.n}: skipped`, '', size.skipped, '')
      continue
    }
    if (size.buildSeconds !== undefined)
      lines.push(`Cloud of ${size.n} started and converged in ${size.buildSeconds} s.`, '')
    for (const c of size.conditions) lines.push(...conditionSection(size.n, c))
    if (size.notes.length > 0) lines.push('Notes:', '', ...size.notes.map((n) => `- ${n}`), '')
  }
  return `${lines.join('\n')}\n`
}
