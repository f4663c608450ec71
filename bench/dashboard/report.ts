import type { Timing } from '../../src/node/config.ts'
import type { MachineInfo } from './machine.ts'
import type { LoadTarget } from './page-probe.ts'
import type { KillSample, LoadSample, PublishSample } from './scenarios.ts'
import { formatKiB, formatMs, formatPct, formatRatio, median, present, summarize } from './stats.ts'

export interface SectionLoad {
  /** share of the whole machine that was busy during the section, % */
  busyPct: number
  loadAvgStart: number
  loadAvgEnd: number
  /** other work's processes seen at the end of the section */
  foreign: Record<string, number>
}

export interface BenchParams {
  nodes: number
  publishReps: number
  killReps: number
  loadReps: number
  timeoutMs: number
}

export interface Results {
  startedAt: string
  finishedAt?: string
  command: string
  commit: string
  machine: MachineInfo & { chromium: string }
  params: BenchParams
  timing: Timing
  /** the dashboard's initial load as scripts/dashboard-assets.ts computes it (gzip -9 of the files) */
  budget: { gzipBytes: number; bytes: number; budgetBytes: number; files: string[] }
  before: { loadAvg: number; foreign: Record<string, number> }
  /** node 3's /events/recent at the end: what the Events page fetches */
  eventLog?: { entries: number; bytes: number; encoding: string }
  targets: LoadTarget[]
  publish: PublishSample[]
  kills: KillSample[]
  loads: LoadSample[]
  sections: Record<string, SectionLoad>
  errors: string[]
  notes: string[]
}

/** A markdown table; the same text is printed to the terminal. */
function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))]
  const widths = head.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 3)).join(' | ')} |`
  return [
    line(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...cells.slice(1).map(line),
  ].join('\n')
}

const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b)
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b)

function latencyRow(label: string, samples: (number | null)[], total?: (number | null)[]): string[] {
  const s = summarize(samples)
  const share =
    total === undefined ? '' : formatPct(median(present(samples.map((x, i) => ratio(x, total[i] ?? null)))))
  return [
    label,
    String(s.n),
    formatMs(s.min),
    formatMs(s.p50),
    formatMs(s.p90),
    formatMs(s.p99),
    formatMs(s.max),
    share,
    s.p50 > 0 ? formatRatio(s.p99 / s.p50) : '–',
  ]
}

/**
 * When node 3 emitted the event, as well as this process can tell: the earlier of its two readers
 * (this process's SSE client and the page's EventSource), which read the same write.
 */
const firstOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b))

export const emittedMs = (s: PublishSample) => firstOf(s.sseMs, s.pageEventMs)

export function publishTable(samples: PublishSample[]): string {
  const total = samples.map((s) => s.rowMs)
  const emitted = samples.map(emittedMs)
  const rows = [
    latencyRow(
      'POST /services on node 1 returned',
      samples.map((s) => s.apiMs),
      total,
    ),
    latencyRow(
      'node 3 event reached this process (SSE client)',
      samples.map((s) => s.sseMs),
      total,
    ),
    latencyRow(
      'node 3 event reached the page (EventSource)',
      samples.map((s) => s.pageEventMs),
      total,
    ),
    latencyRow('**cloud propagation**: API → node 3 event²', emitted, total),
    latencyRow('**publish → visible**: row in node 3 page DOM', total, total),
    latencyRow(
      'next animation frame (row painted)',
      samples.map((s) => s.rowFrameMs),
      total,
    ),
    latencyRow(
      '**dashboard rendering**: node 3 event² → row',
      samples.map((s, i) => diff(s.rowMs, emitted[i] ?? null)),
      total,
    ),
    latencyRow(
      '↳ delivery to the page',
      samples.map((s, i) => diff(s.pageEventMs, emitted[i] ?? null)),
      total,
    ),
    latencyRow(
      '↳ page event → row in DOM',
      samples.map((s) => diff(s.rowMs, s.pageEventMs)),
      total,
    ),
    latencyRow(
      'DELETE → node 3 event²',
      samples.map((s) => firstOf(s.removedSseMs, s.removedPageEventMs)),
    ),
    latencyRow(
      'DELETE → row gone from the DOM',
      samples.map((s) => s.removedRowMs),
    ),
  ]
  return table(
    ['ms after the POST (t0)', 'n', 'min', 'p50', 'p90', 'p99', 'max', 'share of total¹', 'p99/p50'],
    rows,
  )
}

function shortRow(label: string, samples: (number | null)[], reference?: (number | null)[]): string[] {
  const s = summarize(samples)
  return [
    label,
    String(s.n),
    formatMs(s.min),
    formatMs(s.p50),
    formatMs(s.max),
    reference === undefined
      ? ''
      : formatRatio(median(present(samples.map((x, i) => ratio(x, reference[i] ?? null))))),
  ]
}

export function killTable(samples: KillSample[]): string {
  const deadSse = samples.map((s) => s.deadSseMs)
  const rows = [
    shortRow(
      'node 3 emitted member:suspected',
      samples.map((s) => s.suspectSseMs),
      deadSse,
    ),
    shortRow(
      'row shows Suspect',
      samples.map((s) => s.suspectRowMs),
      deadSse,
    ),
    shortRow('**node 3 emitted member:died**', deadSse, deadSse),
    shortRow(
      'page EventSource dispatched member:died',
      samples.map((s) => s.deadPageEventMs),
      deadSse,
    ),
    shortRow(
      '**row shows Dead (kill → dead)**',
      samples.map((s) => s.deadRowMs),
      deadSse,
    ),
    shortRow(
      'next animation frame',
      samples.map((s) => s.deadFrameMs),
      deadSse,
    ),
    shortRow(
      'rendering: member:died² → row Dead',
      samples.map((s) => diff(s.deadRowMs, firstOf(s.deadSseMs, s.deadPageEventMs))),
    ),
    shortRow(
      'suspicion: member:suspected → member:died',
      samples.map((s) => diff(s.deadSseMs, s.suspectSseMs)),
    ),
  ]
  const restart = [
    shortRow(
      'restarted daemon answers its API',
      samples.map((s) => s.restartApiMs),
    ),
    shortRow(
      'node 3 emitted it alive (member:joined)',
      samples.map((s) => s.aliveSseMs),
    ),
    shortRow(
      'row shows Alive',
      samples.map((s) => s.aliveRowMs),
    ),
  ]
  return [
    table(['ms after SIGKILL', 'n', 'min', 'p50', 'max', '÷ member:died (median)'], rows),
    '',
    table(['ms after the restart began', 'n', 'min', 'p50', 'max', ''], restart),
  ].join('\n')
}

export function loadTable(samples: LoadSample[], targets: LoadTarget[]): string {
  const rows: string[][] = []
  for (const t of targets) {
    const cold = samples.filter((s) => s.path === t.path && s.cold)
    const warm = samples.filter((s) => s.path === t.path && !s.cold)
    const m = (xs: LoadSample[], f: (s: LoadSample) => number | null) => median(present(xs.map(f)))
    const coldHeading = m(cold, (s) => s.times.headingDom)
    const warmHeading = m(warm, (s) => s.times.headingDom)
    rows.push([
      `${t.title} (${t.path})`,
      `${cold.length}/${warm.length}`,
      formatMs(m(cold, (s) => s.times.fcp)),
      formatMs(coldHeading),
      formatMs(m(cold, (s) => s.times.headingFrame)),
      formatMs(summarize(cold.map((s) => s.times.headingDom)).max),
      formatMs(m(cold, (s) => s.times.readyDom)),
      formatMs(warmHeading),
      formatMs(m(warm, (s) => s.times.readyDom)),
      formatRatio(coldHeading / warmHeading),
      formatKiB(m(cold, (s) => s.transfer.totalBytes)),
      formatKiB(m(cold, (s) => s.transfer.assetBytes)),
      formatKiB(m(warm, (s) => s.transfer.totalBytes)),
    ])
  }
  return table(
    [
      'page',
      'n cold/warm',
      'FCP cold',
      '**heading cold**',
      'heading frame cold',
      'heading cold max',
      'data shown cold',
      'heading warm',
      'data shown warm',
      'cold ÷ warm',
      '**transferred cold**',
      'of which assets',
      'transferred warm',
    ],
    rows,
  )
}

function sectionLine(name: string, s: SectionLoad | undefined): string {
  if (!s) return `- ${name}: not run`
  const foreign = Object.entries(s.foreign)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ')
  return `- ${name}: machine ${s.busyPct} % busy, load average ${s.loadAvgStart} → ${s.loadAvgEnd}${foreign ? `; other work running: ${foreign}` : ''}`
}

export function renderMarkdown(r: Results): string {
  const m = r.machine
  const out: string[] = []
  out.push('# Dashboard benchmark: results', '')
  out.push(
    `Run ${r.startedAt}${r.finishedAt ? ` – ${r.finishedAt.slice(11)}` : ' (unfinished)'} on commit ${r.commit}, with \`${r.command}\`. ` +
      'See bench/dashboard/README.md for what is measured and how.',
    '',
  )
  out.push('## Machine and parameters', '')
  out.push(
    `- ${m.cores} cores (${m.cpuModel}), ${m.memGiB} GiB memory, Linux ${m.kernel}, Node ${m.node}, ${m.chromium} (Debian chromium, headless)`,
    `- a cloud of ${r.params.nodes} daemons on 127.0.0.1 (this checkout's dist/), chromium logged in to node-3's dashboard; node-1 publishes`,
    `- product default timing (src/node/config.ts TimingSchema), passed explicitly: \`${JSON.stringify(r.timing)}\``,
    `- publish → visible: ${r.params.publishReps} repetitions (a different listening port each, unpublished between); kill → dead: ${r.params.killReps} (node-2 and node-1 in turn, restarted between); page loads: ${r.params.loadReps} cold and ${r.params.loadReps} warm per page; bound on every wait ${r.params.timeoutMs} ms`,
    `- before the run: load average ${r.before.loadAvg}; other work running: ${
      Object.entries(r.before.foreign)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ') || 'none'
    }`,
    sectionLine('publish section', r.sections.publish),
    sectionLine('kill section', r.sections.kill),
    sectionLine('page-load section', r.sections.load),
    '',
  )

  out.push('## 1. Publish on node 1 → row on node 3’s Services page', '')
  out.push(publishTable(r.publish), '')
  out.push(
    `With ${r.publish.length} samples p99 is the largest sample but one at most (nearest rank). ` +
      '¹ median over repetitions of (this figure ÷ publish → visible) of the same repetition. Page times are converted to this ' +
      `process's clock with an offset measured before each repetition (page − bench: median ${formatMs(
        median(r.publish.map((s) => s.clockOffsetMs)),
      )}, ± ${formatMs(Math.max(...r.publish.map((s) => s.clockRttMs), Number.NaN) / 2)} at worst). ` +
      '² node 3 writes each event to both of its readers at once; the earlier of the two arrivals is the best ' +
      "estimate of when it emitted it (this process's reader alone is late when the machine is busy: see the notes).",
    '',
  )

  out.push('## 2. SIGKILL of a member → Dead on node 3’s Nodes page', '')
  out.push(killTable(r.kills), '')
  const t = r.timing
  out.push(
    `With the default timing a silent member is probed every ${t.probeIntervalMs} ms (timeout ${t.probeTimeoutMs} ms, ` +
      `${t.indirectProbes} indirect probes), then suspected for ${t.suspicionMinMs}–${t.suspicionMaxMs} ms before it is declared dead.`,
    "² the earlier of node 3's two readers, as in section 1.",
    '',
  )

  out.push('## 3. Page loads after login (node 3)', '')
  out.push(loadTable(r.loads, r.targets), '')
  const coldOverview = r.loads.filter((s) => s.cold && s.path === '/')
  out.push(
    'Times are ms since navigation start (performance.timeOrigin) in the page: FCP from the paint timing, ' +
      '"heading" when the page’s `h1` with its title entered the DOM, "frame" the animation frame after it, ' +
      '"data shown" when no "Loading…" is left and the page’s data is in it. Cold: the browser cache emptied ' +
      '(Network.clearBrowserCache) before the navigation; warm: the same URL again with the cache. Transferred: ' +
      'bytes received for the document, assets and API calls (headers included; the event stream left out), from ' +
      'the DevTools protocol, once the network was quiet for 300 ms.',
    '',
    `Initial-load budget (issue 3: ≤ 300 KB gzipped): scripts/dashboard-assets.ts counts ${formatKiB(
      r.budget.gzipBytes,
    )} gzipped (${formatKiB(r.budget.bytes)} raw) for ${r.budget.files.join(', ')}; chromium received ${formatKiB(
      median(coldOverview.map((s) => s.transfer.assetBytes)),
    )} of assets on a cold load of the Overview (${formatRatio(
      median(coldOverview.map((s) => s.transfer.assetBytes)) / r.budget.budgetBytes,
    )} of the budget), content-encoding ${JSON.stringify(mergeEncodings(r.loads.filter((s) => s.cold)))}.`,
    '',
  )

  const notes = [...observations(r), ...r.notes]
  if (notes.length > 0 || r.errors.length > 0) {
    out.push('## Notes', '')
    for (const n of notes) out.push(`- ${n}`)
    for (const e of r.errors) out.push(`- error: ${e}`)
    out.push('')
  }

  out.push('<details><summary>Raw samples (ms)</summary>', '')
  out.push(
    table(
      [
        'rep',
        'port',
        'API',
        'node 3 SSE',
        'page event',
        'row',
        'frame',
        'removed SSE',
        'row gone',
        'clock offset',
      ],
      r.publish.map((s) => [
        s.rep,
        s.key.split('/')[2] ?? '',
        formatMs(s.apiMs),
        formatMs(s.sseMs ?? Number.NaN),
        formatMs(s.pageEventMs ?? Number.NaN),
        formatMs(s.rowMs ?? Number.NaN),
        formatMs(s.rowFrameMs ?? Number.NaN),
        formatMs(s.removedSseMs ?? Number.NaN),
        formatMs(s.removedRowMs ?? Number.NaN),
        `${s.clockOffsetMs.toFixed(2)} ± ${(s.clockRttMs / 2).toFixed(2)}`,
      ]),
    ),
    '',
    table(
      [
        'rep',
        'victim',
        'suspected SSE',
        'Suspect row',
        'died SSE',
        'page event',
        'Dead row',
        'restart API',
        'alive SSE',
        'Alive row',
        'claims in the survivors’ logs',
      ],
      r.kills.map((s) => [
        s.rep,
        s.victim,
        ...[
          s.suspectSseMs,
          s.suspectRowMs,
          s.deadSseMs,
          s.deadPageEventMs,
          s.deadRowMs,
          s.restartApiMs,
          s.aliveSseMs,
          s.aliveRowMs,
        ].map((x) => formatMs(x ?? Number.NaN)),
        s.claims.join('; '),
      ]),
    ),
    '',
    table(
      ['page', 'rep', 'cache', 'FCP', 'heading', 'data shown', 'transferred', 'requests (cached)'],
      r.loads.map((s) => [
        s.path,
        s.rep,
        s.cold ? 'cold' : 'warm',
        formatMs(s.times.fcp ?? Number.NaN),
        formatMs(s.times.headingDom ?? Number.NaN),
        formatMs(s.times.readyDom ?? Number.NaN),
        formatKiB(s.transfer.totalBytes),
        `${s.transfer.requests} (${s.transfer.cached})`,
      ]),
    ),
    '',
    '</details>',
    '',
  )
  return out.join('\n')
}

function mergeEncodings(samples: LoadSample[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of samples) {
    for (const [k, n] of Object.entries(s.transfer.encodings)) out[k] = (out[k] ?? 0) + n
  }
  return out
}

/** What the samples themselves show that deserves a sentence. */
export function observations(r: Results): string[] {
  const out: string[] = []
  const late = r.publish
    .map((s) => diff(s.sseMs, s.pageEventMs))
    .filter((d): d is number => d !== null && d > 0)
  if (late.length > 0) {
    out.push(
      `In ${late.length} of ${r.publish.length} publishes this process's reader of node 3's event stream got ` +
        `service:published after the page's EventSource did (by up to ${formatMs(Math.max(...late))}, median ` +
        `${formatMs(median(late))}): both read the same write of node 3, so this process's arrival time carries its own ` +
        'scheduling delay; the split uses the earlier of the two (²).',
    )
  }
  const waits = present(r.kills.map((k) => diff(k.deadSseMs, k.suspectSseMs)))
  if (waits.length > 0) {
    out.push(
      `member:died came ${formatMs(Math.min(...waits))}–${formatMs(Math.max(...waits))} after member:suspected at node 3 ` +
        `(suspicionMinMs ${r.timing.suspicionMinMs}, suspicionMaxMs ${r.timing.suspicionMaxMs}); survivors that logged a ` +
        `suspect claim per kill: ${r.kills.map((k) => k.claims.filter((c) => c.includes(' suspect ')).length).join(', ')}.`,
    )
  }
  if (r.eventLog) {
    const events = r.loads.filter((s) => s.path === '/events' && s.cold)
    out.push(
      `The Events page is the heaviest load: node 3's /api/v1/events/recent held ${r.eventLog.entries} entries in ` +
        `${formatKiB(r.eventLog.bytes)} of JSON sent with content-encoding "${r.eventLog.encoding}" at the end of the run ` +
        `(${formatKiB(median(events.map((s) => s.transfer.apiBytes)))} of API responses per cold load of the page, ` +
        `against ${formatKiB(median(events.map((s) => s.transfer.assetBytes)))} of scripts and styles); the log keeps up to 200 entries.`,
    )
  }
  return out
}

/** The headline figures for the terminal, after the tables. */
export function summaryLines(r: Results): string[] {
  const vis = summarize(r.publish.map((s) => s.rowMs))
  const prop = summarize(r.publish.map(emittedMs))
  const render = summarize(r.publish.map((s) => diff(s.rowMs, emittedMs(s))))
  const dead = summarize(r.kills.map((s) => s.deadRowMs))
  const deadSse = summarize(r.kills.map((s) => s.deadSseMs))
  return [
    `publish → visible on node 3: p50 ${formatMs(vis.p50)}, p99 ${formatMs(vis.p99)} (propagation p50 ${formatMs(prop.p50)}, rendering p50 ${formatMs(render.p50)})`,
    `kill → Dead on the Nodes page: p50 ${formatMs(dead.p50)}, max ${formatMs(dead.max)} (node 3's member:died p50 ${formatMs(deadSse.p50)})`,
  ]
}
