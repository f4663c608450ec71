// Storage server throughput: PATCH and GET of raw share bytes in 1 MiB chunks through the storage
// client, on loopback, with the server in its own process; median MB/s of several runs.
//
//   npx tsx bench/storage-server/run.ts [--total-mib 64] [--chunk-kib 1024] [--runs 5]
//                                       [--concurrency 1,4] [--write-results]
//
// See bench/storage-server/README.md.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { cpus, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { StorageClient } from '../../src/storage/client/storage-client.ts'
import { storageIndexToBase32 } from '../../src/storage/server/storage-index.ts'
import { median } from '../stats.ts'
import { httpsAgentTransport } from './https-agent-transport.ts'

const { values } = parseArgs({
  options: {
    'total-mib': { type: 'string', default: '64' },
    'chunk-kib': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,4' },
    'write-results': { type: 'boolean', default: false },
  },
})
const TOTAL = Number(values['total-mib']) * 1024 * 1024
const CHUNK = Number(values['chunk-kib']) * 1024
const RUNS = Number(values.runs)
const CONCURRENCY = String(values.concurrency).split(',').map(Number)

interface Transport {
  write(si: Uint8Array, shnum: number, secret: Uint8Array, offset: number, data: Uint8Array): Promise<unknown>
  read(si: Uint8Array, shnum: number, offset: number, length: number): Promise<Uint8Array>
  close(): Promise<void> | void
}

function undiciTransport(nurl: string, connections: number): Transport {
  const client = new StorageClient({ nurl, connections })
  return {
    write: (si, n, s, offset, data) => client.writeShareChunk(si, n, s, offset, data),
    read: (si, n, offset, length) => client.readImmutableShare(si, n, offset, length),
    close: () => client.close(),
  }
}

function agentTransport(nurl: string, connections: number): Transport {
  const t = httpsAgentTransport(nurl, connections)
  return {
    write: (si, n, s, offset, data) => t.write(storageIndexToBase32(si), n, s, offset, data),
    read: (si, n, offset, length) => t.read(storageIndexToBase32(si), n, offset, length),
    close: () => t.close(),
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

async function startServer(dir: string): Promise<{ child: ChildProcess; nurl: string }> {
  const script = fileURLToPath(new URL('./server-process.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const nurl = await new Promise<string>((resolve, reject) => {
    child.once('exit', () => reject(new Error('the server process exited')))
    lines.once('line', (line) => resolve((JSON.parse(line) as { nurl: string }).nurl))
  })
  return { child, nurl }
}

/** What the disk alone does: 1 MiB writes each followed by fdatasync (the server syncs every PATCH). */
async function diskBaseline(dir: string): Promise<number> {
  const file = join(dir, 'baseline')
  const h = await open(file, 'w')
  const chunk = randomBytes(CHUNK)
  const count = Math.max(8, Math.min(64, TOTAL / CHUNK))
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    await h.write(chunk, 0, chunk.length, i * chunk.length)
    await h.datasync()
  }
  const seconds = (performance.now() - t0) / 1000
  await h.close()
  await rm(file)
  return (count * CHUNK) / 1e6 / seconds
}

/** A Markdown table with padded columns (as the repository's formatter writes them). */
function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'cloudy-bench-storage-'))
  const { child, nurl } = await startServer(dir)
  const allocator = new StorageClient({ nurl })
  const rows: string[][] = []
  try {
    const disk = await diskBaseline(dir)
    console.log(`disk: 1 MiB write + fdatasync: ${disk.toFixed(0)} MB/s`)
    const chunks = Math.ceil(TOTAL / CHUNK)
    const data = randomBytes(CHUNK)
    const transports = [
      ['StorageClient (undici Pool)', undiciTransport],
      ['node:https Agent', agentTransport],
    ] as const
    const cases = transports.flatMap(([name, make]) => CONCURRENCY.map((c) => ({ name, make, c })))
    const samples = new Map(cases.map((k) => [k, { writes: [] as number[], reads: [] as number[] }]))
    const once = async (k: (typeof cases)[number]) => {
      const transport = k.make(nurl, k.c)
      const si = randomBytes(16)
      const uploadSecret = randomBytes(16)
      const secrets = { uploadSecret, renewSecret: randomBytes(32), cancelSecret: randomBytes(32) }
      await allocator.allocateBuckets(si, { ...secrets, shareNumbers: [0], allocatedSize: chunks * CHUNK })
      let t0 = performance.now()
      await pool(chunks, k.c, (i) => transport.write(si, 0, uploadSecret, i * CHUNK, data).then(() => {}))
      const write = (chunks * CHUNK) / 1e6 / ((performance.now() - t0) / 1000)
      t0 = performance.now()
      await pool(chunks, k.c, async (i) => {
        const got = await transport.read(si, 0, i * CHUNK, CHUNK)
        if (got.length !== CHUNK) throw new Error(`short read: ${got.length}`)
      })
      const read = (chunks * CHUNK) / 1e6 / ((performance.now() - t0) / 1000)
      await transport.close()
      return { write, read }
    }
    for (const k of cases) await once(k) // warm up both code paths
    // runs interleave the cases (in a rotating order), so load from elsewhere hits all alike
    for (let run = 0; run < RUNS; run++) {
      for (let j = 0; j < cases.length; j++) {
        const k = cases[(run + j) % cases.length] as (typeof cases)[number]
        const { write, read } = await once(k)
        samples.get(k)?.writes.push(write)
        samples.get(k)?.reads.push(read)
      }
    }
    for (const k of cases) {
      const { writes, reads } = samples.get(k) as { writes: number[]; reads: number[] }
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ')
      const row = [
        k.name,
        String(k.c),
        median(writes).toFixed(0),
        median(reads).toFixed(0),
        fmt(writes),
        fmt(reads),
      ]
      console.log(row.join(' | '))
      rows.push(row)
    }
    const report = [
      '# Storage server throughput',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx bench/storage-server/run.ts\`: ${TOTAL / 2 ** 20} MiB per run`,
      `in ${CHUNK / 1024} KiB chunks, ${RUNS} runs, server in its own process on 127.0.0.1, data dir on ${tmpdir()}.`,
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}.`,
      `Disk alone (1 MiB write + fdatasync): ${disk.toFixed(0)} MB/s.`,
      '',
      ...markdownTable(
        [
          'transport',
          'requests in flight',
          'PATCH MB/s (median)',
          'GET MB/s (median)',
          'PATCH runs',
          'GET runs',
        ],
        rows,
      ),
      '',
    ].join('\n')
    if (values['write-results']) {
      await writeFile(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), report)
    }
  } finally {
    await allocator.close()
    child.stdin?.end()
    child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
