import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, test } from 'vitest'
import { StorageClient } from '../../../../src/storage/client/storage-client.ts'
import { parseNurl } from '../../../../src/storage/server/nurl.ts'

const SCRIPT = fileURLToPath(new URL('./server-process.ts', import.meta.url))
const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

/** Starts a server process on `dir`; resolves with its NURL and a stream of its events. */
async function startServerProcess(dir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  children.push(child)
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const waiters: ((msg: Record<string, unknown>) => boolean)[] = []
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as Record<string, unknown>
    for (const [i, w] of waiters.entries()) if (w(msg)) waiters.splice(i, 1)
  })
  const next = (match: (msg: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once('exit', () => reject(new Error('the server process exited')))
      waiters.push((msg) => {
        if (!match(msg)) return false
        resolve(msg)
        return true
      })
    })
  const { nurl } = await next((m) => typeof m.nurl === 'string')
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return { child, nurl: nurl as string, next, exited }
}

test('kill -9 in the middle of an upload loses nothing acknowledged and leaves no partial share', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cloudy-crash-'))
  dirs.push(dir)
  const si = randomBytes(16)
  const lease = { renewSecret: randomBytes(32), cancelSecret: randomBytes(32) }
  const complete = randomBytes(300_000)
  const partial = randomBytes(300_000)
  const mutable = Buffer.from('acknowledged mutable version')
  const slot = { ...lease, writeEnabler: randomBytes(32) }

  const first = await startServerProcess(dir)
  const client = new StorageClient({ nurl: first.nurl })
  try {
    const a = { ...lease, uploadSecret: randomBytes(16) }
    await client.allocateBuckets(si, { ...a, shareNumbers: [0, 1], allocatedSize: complete.length })
    expect((await client.writeShareChunk(si, 0, a.uploadSecret, 0, complete)).finished).toBe(true)
    const mutableSi = randomBytes(16)
    await client.readTestWrite(
      mutableSi,
      slot,
      new Map([[5, { test: [], write: [{ offset: 0, data: mutable }], newLength: null }]]),
      [],
    )
    const firstWriteOfShare1 = first.next((m) => m.event === 'share:write-received' && m.shareNumber === 1)
    const write = client
      .writeShareChunk(si, 1, a.uploadSecret, 0, partial.subarray(0, 100_000))
      .catch(() => undefined)
    await firstWriteOfShare1
    first.child.kill('SIGKILL')
    await first.exited
    await write
    await client.close()

    const second = await startServerProcess(dir)
    const after = new StorageClient({ nurl: second.nurl })
    // a new port, the same identity: certificate and swissnum were kept in the directory
    const [was, is] = [parseNurl(first.nurl), parseNurl(second.nurl)]
    expect({ ...is, port: 0 }).toEqual({ ...was, port: 0 })
    try {
      expect(await after.listImmutableShares(si)).toEqual([0])
      expect(Buffer.from(await after.readImmutableShare(si, 0, 0, complete.length))).toEqual(complete)
      expect(Buffer.from(await after.readMutableShare(mutableSi, 5, 0, 1000))).toEqual(mutable)
      expect(await readdir(join(dir, 'shares', 'incoming'))).toEqual(['tmp'])
      // the interrupted share can be uploaded again from scratch
      const b = { ...lease, uploadSecret: randomBytes(16) }
      const again = await after.allocateBuckets(si, {
        ...b,
        shareNumbers: [1],
        allocatedSize: partial.length,
      })
      expect(again).toEqual({ alreadyHave: [0], allocated: [1] })
    } finally {
      await after.close()
    }
  } finally {
    await client.close().catch(() => {})
  }
})
