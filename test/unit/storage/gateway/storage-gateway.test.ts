import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChkCap } from '../../../../src/storage/caps/chk-cap.ts'
import { parseCap } from '../../../../src/storage/caps/parse-cap.ts'
import type { StorageServerInfo } from '../../../../src/storage/gateway/server-selection.ts'
import { StorageGateway } from '../../../../src/storage/gateway/storage-gateway.ts'
import { bytesPlaintextSource } from '../../../../src/storage/immutable/memory-shares.ts'
import { base32Encode } from '../../../../src/storage/util/base32.ts'
import { silentLogger } from '../../../../src/util/logger.ts'
import { startTestServer, type TestServer } from '../server/test-server.ts'

const SEGMENT = 64 * 1024

interface Grid {
  servers: TestServer[]
  infos: StorageServerInfo[]
  live: Set<string>
  gateway: StorageGateway
}

async function startGrid(n: number): Promise<Grid> {
  const servers = await Promise.all(Array.from({ length: n }, () => startTestServer()))
  const infos = servers.map((s, i) => ({
    id: `server-${i + 1}`,
    name: `storage${i + 1}`,
    nurl: s.nurl,
    permutationSeed: randomBytes(32),
    leaseSeed: s.core.nodeId,
  }))
  const live = new Set(infos.map((s) => s.id))
  const gateway = new StorageGateway(
    {
      convergenceSecret: randomBytes(16),
      leaseSecret: randomBytes(32),
      encoding: { maxSegmentSize: SEGMENT },
      // reads in ring order whatever the timing: tests know which shares are read first
      latencyBandMs: 60_000,
    },
    { servers: () => infos.filter((s) => live.has(s.id)), logger: silentLogger() },
  )
  return { servers, infos, live, gateway }
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const part of body) parts.push(part)
  return Buffer.concat(parts)
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

function subsets<T>(items: T[], k: number): T[][] {
  if (k === 0) return [[]]
  if (items.length < k) return []
  const [first, ...rest] = items as [T, ...T[]]
  return [...subsets(rest, k - 1).map((s) => [first, ...s]), ...subsets(rest, k)]
}

describe('storage gateway on 10 storage servers', () => {
  let grid: Grid
  beforeAll(async () => {
    grid = await startGrid(10)
  })
  afterAll(async () => {
    await grid.gateway.close()
    await Promise.all(grid.servers.map((s) => s.destroy()))
  })

  it('round-trips files of every size class, one share per server', async () => {
    for (const size of [0, 1, 55, 56, 1000, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 17]) {
      const data = randomBytes(size)
      const put = await grid.gateway.put(bytesPlaintextSource(data))
      expect(put.size).toBe(size)
      if (size <= 55) {
        expect(put.cap.startsWith('URI:LIT:')).toBe(true)
      } else {
        expect(put.cap.startsWith('URI:CHK:')).toBe(true)
        expect(new Set(Object.values(put.placement)).size).toBe(10)
      }
      const got = await grid.gateway.get(put.cap)
      expect(got.size).toBe(size)
      expect((await readAll(got.body)).equals(data)).toBe(true)
    }
  })

  it('gives the same cap for the same content (convergent encryption) and reads byte ranges', async () => {
    const data = randomBytes(2 * SEGMENT + 500)
    const a = await grid.gateway.put(bytesPlaintextSource(data))
    const b = await grid.gateway.put(bytesPlaintextSource(data, 1000))
    expect(b.cap).toBe(a.cap)
    const range = await grid.gateway.get(a.cap, { range: { offset: SEGMENT - 10, length: 300 } })
    expect((await readAll(range.body)).equals(data.subarray(SEGMENT - 10, SEGMENT + 290))).toBe(true)
  })

  it('reads every file from any 3 of the 10 servers (all 120 subsets)', async () => {
    const data = randomBytes(SEGMENT + 3)
    const { cap } = await grid.gateway.put(bytesPlaintextSource(data))
    const ids = grid.infos.map((s) => s.id)
    try {
      for (const subset of subsets(ids, 3)) {
        grid.live.clear()
        for (const id of subset) grid.live.add(id)
        const got = await grid.gateway.get(cap)
        expect((await readAll(got.body)).equals(data), `from ${subset.join(', ')}`).toBe(true)
      }
    } finally {
      for (const id of ids) grid.live.add(id)
    }
  })

  it('fails clearly when fewer than k shares are reachable', async () => {
    const { cap } = await grid.gateway.put(bytesPlaintextSource(randomBytes(5000)))
    const ids = grid.infos.map((s) => s.id)
    try {
      grid.live.clear()
      for (const id of ids.slice(0, 2)) grid.live.add(id)
      // refused before any byte is promised, with the code the API maps to 410
      await expect(grid.gateway.get(cap)).rejects.toMatchObject({
        code: 'NOT_ENOUGH_SHARES',
        message: expect.stringMatching(/only 2 of the 3 shares/),
      })
    } finally {
      for (const id of ids) grid.live.add(id)
    }
  })

  it('refuses an upload with fewer servers than servers of happiness, saying how many it needs', async () => {
    const ids = grid.infos.map((s) => s.id)
    try {
      grid.live.clear()
      for (const id of ids.slice(0, 6)) grid.live.add(id)
      await expect(grid.gateway.put(bytesPlaintextSource(randomBytes(5000)))).rejects.toThrow(
        /6 storage servers; an upload needs at least 7/,
      )
    } finally {
      for (const id of ids) grid.live.add(id)
    }
  })

  it('keeps no plaintext on any storage server', async () => {
    const marker = Buffer.from(`cloudy-plaintext-marker-${randomBytes(8).toString('hex')}`)
    const data = Buffer.concat(Array.from({ length: 200 }, () => marker))
    await grid.gateway.put(bytesPlaintextSource(data))
    for (const server of grid.servers) {
      for (const file of await filesUnder(server.dir)) {
        expect((await readFile(file)).includes(marker), file).toBe(false)
      }
    }
  })

  it('downloads correctly past a corrupt share, reports it to its server, and verify finds it', async () => {
    const data = randomBytes(3 * SEGMENT)
    const put = await grid.gateway.put(bytesPlaintextSource(data))
    // flip a byte in the first block of share 0: this gateway reads in ring order (latencyBandMs),
    // shares 0, 1 and 2 first
    const holder = grid.infos.findIndex((s) => s.name === put.placement[0])
    const server = grid.servers[holder] as TestServer
    const si = base32Encode((parseCap(put.cap) as ChkCap).storageIndex)
    const shareFile = join(server.dir, 'shares', si.slice(0, 2), si, '0')
    const bytes = await readFile(shareFile)
    bytes[12 + 0x24 + 5] = (bytes[12 + 0x24 + 5] as number) ^ 0xff
    await writeFile(shareFile, bytes)
    const reported = new Promise((resolve) => server.core.events.once('corruption:reported', resolve))

    const got = await grid.gateway.get(put.cap)
    expect(
      createHash('sha256')
        .update(await readAll(got.body))
        .digest('hex'),
    ).toBe(createHash('sha256').update(data).digest('hex'))
    await reported

    const verified = await grid.gateway.verify(put.cap)
    expect(verified.recoverable).toBe(true)
    expect(verified.healthy).toBe(false)
    expect(verified.corrupt.map((c) => [c.server, c.shnum])).toEqual([[put.placement[0], 0]])
    const checked = await grid.gateway.check(put.cap)
    expect(checked.sharesFound).toBe(10)
    expect(checked.servers).toHaveLength(10)
  })

  it('completes an upload when a server stops after its first write, without that server', async () => {
    const victim = grid.servers[4] as TestServer
    const stopped = new Promise<void>((resolve) => {
      victim.core.events.once('share:write-received', () => {
        void victim.http.close().then(resolve)
      })
    })
    const data = randomBytes(4 * SEGMENT)
    const put = await grid.gateway.put(bytesPlaintextSource(data))
    await stopped
    grid.live.delete(grid.infos[4]?.id as string)
    expect(Object.values(put.placement)).not.toContain('storage5')
    expect(new Set(Object.values(put.placement)).size).toBeGreaterThanOrEqual(7)
    const got = await grid.gateway.get(put.cap)
    expect((await readAll(got.body)).equals(data)).toBe(true)
  })

  it('asks a server that just failed last on the next upload', async () => {
    const victim = grid.servers[7] as TestServer
    const victimName = grid.infos[7]?.name as string
    await victim.close()
    const first = await grid.gateway.put(bytesPlaintextSource(randomBytes(3000)))
    expect(Object.values(first.placement)).not.toContain(victimName)
    // restarted on the same directory and port, it is healthy again but asked last: the first
    // round gives share i to the i-th server, so it gets the last share of that round, which goes
    // to it only because there are no more servers than shares
    const restarted = await startTestServer({ directory: victim.dir, port: victim.port })
    grid.servers[7] = restarted
    const second = await grid.gateway.put(bytesPlaintextSource(randomBytes(3000)))
    const victimShares = Object.entries(second.placement).filter(([, name]) => name === victimName)
    expect(victimShares).toEqual([[String(grid.live.size - 1), victimName]])
  })

  it('refuses garbage and verify caps for reading with clear errors', async () => {
    await expect(grid.gateway.get('URI:CHK:nonsense')).rejects.toThrow(/cap/i)
    const { cap } = await grid.gateway.put(bytesPlaintextSource(randomBytes(100)))
    const { verifyCap } = await grid.gateway.check(cap)
    await expect(grid.gateway.get(verifyCap)).rejects.toThrow(/verify cap/)
  })
})
