import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import { CloudyError } from '../util/errors.ts'
import { connectApi } from './api-client.ts'
import { type CliDeps, dataDirOf, printJson } from './cli-context.ts'
import { formatBytes } from './format.ts'

interface CheckView {
  verifyCap: string
  needed: number
  total: number
  sharesFound: number
  servers: { id: string; name: string; shares: number[] }[]
  unreachable: string[]
  healthy: boolean
  recoverable: boolean
  corrupt: { server: string; shnum: number; stage: string; message: string }[]
}

/** A progress bar with rate and ETA on a terminal's stderr; nothing when stderr is piped. */
function progress(label: string, total: number): { tick(n: number): void; stop(): void } {
  if (!process.stderr.isTTY || total === 0) return { tick() {}, stop() {} }
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {done}/{size} | {speed} | ETA {eta_formatted}`,
    hideCursor: true,
    etaBuffer: 50,
  })
  const started = Date.now()
  let done = 0
  bar.start(total, 0, { done: formatBytes(0), size: formatBytes(total), speed: '-' })
  return {
    tick(n) {
      done += n
      const speed = `${formatBytes(done / Math.max(0.001, (Date.now() - started) / 1000))}/s`
      bar.update(done, { done: formatBytes(done), speed })
    },
    stop: () => bar.stop(),
  }
}

function counting(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length)
      callback(null, chunk)
    },
  })
}

export function renderCheck(view: CheckView): string[] {
  const state = view.healthy ? 'healthy' : view.recoverable ? 'not healthy' : 'unrecoverable'
  const lines = [
    `${state}: ${view.sharesFound} of ${view.total} shares good (${view.needed} needed)`,
    ...view.servers.map(
      (s) => `  ${s.name}: share${s.shares.length === 1 ? '' : 's'} ${s.shares.join(', ')}`,
    ),
  ]
  for (const c of view.corrupt)
    lines.push(`  corrupt: share ${c.shnum} on ${c.server} (${c.stage}: ${c.message})`)
  if (view.unreachable.length > 0) lines.push(`  unreachable: ${view.unreachable.join(', ')}`)
  return lines
}

/** cloudy put FILE, get CAP [-o FILE], check CAP, verify CAP */
export function addStorageCommands(program: Command, deps: CliDeps): void {
  const { io } = deps

  program
    .command('put')
    .description("store a file on the cloud's storage servers; prints its read cap")
    .argument('<file>', 'the file to store')
    .option('--json', 'machine-readable output')
    .action(async (file: string, options: { json?: boolean }, command: Command) => {
      const path = resolve(file)
      const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
        throw new CloudyError('INVALID_INPUT', `cannot read ${file}: ${err.code ?? err.message}`)
      })
      if (!info.isFile()) throw new CloudyError('INVALID_INPUT', `${file} is not a file`)
      const api = await connectApi(dataDirOf(command))
      const bar = progress('sending', info.size)
      const body = Readable.toWeb(
        createReadStream(path).pipe(counting((n) => bar.tick(n))),
      ) as ReadableStream<Uint8Array>
      let result: { cap: string; size: number; placement: Record<string, string> }
      try {
        const res = await api.stream('PUT', '/uri', {
          body,
          headers: { 'content-length': String(info.size) },
        })
        result = (await res.json()) as typeof result
      } finally {
        bar.stop()
      }
      if (options.json) printJson(io, result)
      else io.out(result.cap)
    })

  program
    .command('get')
    .description('read a file from the cloud by its read cap')
    .argument('<cap>', 'the read cap (URI:CHK:… or URI:LIT:…)')
    .option('-o, --output <file>', 'write it to this file (default: stdout)')
    .action(async (cap: string, options: { output?: string }, command: Command) => {
      const api = await connectApi(dataDirOf(command))
      const res = await api.stream('GET', `/uri/${encodeURIComponent(cap)}`)
      const size = Number(res.headers.get('content-length') ?? 0)
      const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)
      if (options.output === undefined) {
        await pipeline(body, process.stdout)
        return
      }
      // written beside the target and renamed when complete: an interrupted get leaves no partial file
      const target = resolve(options.output)
      const partial = `${target}.part`
      const bar = progress('receiving', size)
      try {
        await pipeline(
          body,
          counting((n) => bar.tick(n)),
          createWriteStream(partial),
        )
        await rename(partial, target)
      } catch (err) {
        await rm(partial, { force: true })
        throw err
      } finally {
        bar.stop()
      }
    })

  program
    .command('storage')
    .description("this node's storage server")
    .command('announcement')
    .description(
      "print this node's storage server as an entry of a Tahoe-LAFS gateway's private/servers.yaml (holds a secret)",
    )
    .action(async (_options: unknown, command: Command) => {
      const api = await connectApi(dataDirOf(command))
      const { yaml } = await api.request<{ yaml: string }>('GET', '/storage/announcement')
      for (const line of yaml.trimEnd().split('\n')) io.out(line)
    })

  for (const deep of [false, true]) {
    program
      .command(deep ? 'verify' : 'check')
      .description(
        deep
          ? 'fetch and hash-check every share of a file'
          : 'which storage servers hold which shares of a file',
      )
      .argument('<cap>', 'a read or verify cap')
      .option('--json', 'machine-readable output')
      .action(async (cap: string, options: { json?: boolean }, command: Command) => {
        const api = await connectApi(dataDirOf(command))
        const view = await api.request<CheckView>(
          'POST',
          `/uri/${encodeURIComponent(cap)}/${deep ? 'verify' : 'check'}`,
          undefined,
          deep ? 30 * 60_000 : 60_000,
        )
        if (options.json) printJson(io, view)
        else for (const line of renderCheck(view)) io.out(line)
        if (!view.recoverable) process.exitCode = 11
      })
  }
}
