// Tracker benchmark: UDP announces per second and their latency, against Cloudy's tracker in a
// process of its own on 127.0.0.1 (target: at least 20,000 announces/s). See README.md.
//
//   node --import tsx bench/tracker/run.ts [--duration 10] [--torrents 1000] [--peers 20000]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { REPO } from '../../test/helpers/test-cloud.ts'
import { percentile } from '../stats.ts'
import { type LoadResult, runLoad } from './load.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    torrents: { type: 'string', default: '1000' },
    peers: { type: 'string', default: '20000' },
    write: { type: 'boolean', default: false },
  },
})
const durationMs = Number(values.duration) * 1000
const loadBefore = loadavg()[0] ?? 0
const torrents = Number(values.torrents)
const peers = Number(values.peers)

const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'tracker-process.ts')], {
  cwd: REPO,
  stdio: ['pipe', 'pipe', 'inherit'],
})
const lines = createInterface({ input: child.stdout })
const nextLine = async () => (await once(lines, 'line'))[0] as string
const { port } = JSON.parse(await nextLine()) as { port: number }

const row = (name: string, r: LoadResult) => ({
  name,
  perSecond: Math.round(r.perSecond),
  p50: percentile(r.latenciesMs, 50),
  p99: percentile(r.latenciesMs, 99),
  max: percentile(r.latenciesMs, 100),
  lost: r.lost,
  errors: r.errors,
})

const results: ReturnType<typeof row>[] = []
try {
  // warm-up: fill the swarms
  await runLoad({ host: '127.0.0.1', port, torrents, peers, durationMs: 3000, window: 64 })
  for (const window of [16, 64, 256]) {
    const r = await runLoad({ host: '127.0.0.1', port, torrents, peers, durationMs, window })
    results.push(row(`closed loop, ${window} in flight`, r))
    console.log(results.at(-1))
  }
  for (const rate of [10_000, 20_000, 30_000]) {
    const r = await runLoad({ host: '127.0.0.1', port, torrents, peers, durationMs, rate })
    results.push(row(`open loop, ${rate.toLocaleString('en')} offered/s`, r))
    console.log(results.at(-1))
  }
  child.stdin.write('stats\n')
  const stats = JSON.parse(await nextLine()) as Record<string, number>
  console.log(stats)
  const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1))
  const md = [
    '# bench/tracker results',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, load average ${loadBefore.toFixed(2)} before and ${loadavg()[0]?.toFixed(2)} after. Tracker and load generator are separate processes on 127.0.0.1 (one core each); ${torrents} torrents, ${peers} peers (one in three a seeder), ${durationMs / 1000} s per row after a 3 s warm-up; the tracker ends with ${stats.torrents} swarms, ${stats.seeders} seeders, ${stats.leechers} leechers, RSS ${stats.rssMb} MiB.`,
    '',
    '| load | answered announces/s | p50 ms | p99 ms | max ms | lost |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.perSecond.toLocaleString('en')} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.lost} |`,
    ),
    '',
  ].join('\n')
  console.log(md)
  if (values.write) await writeFile(join(import.meta.dirname, 'RESULTS.md'), md)
} finally {
  child.stdin.end()
  await once(child, 'exit')
}
