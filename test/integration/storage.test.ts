import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceView } from '../../src/catalogue/types.ts'
import { createTestCloud, eventually, type TestCloud, type TestNode } from '../helpers/test-cloud.ts'

// Ten real node processes, each a storage server; node-1 is the gateway the tests use through its
// API and the CLI. Files are small, with a small segment size, to reach every code path quickly.

const SEGMENT = 32 * 1024

let cloud: TestCloud
let gateway: TestNode
const files = new Map<string, Buffer>()

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function put(
  node: TestNode,
  data: Buffer,
): Promise<{ cap: string; placement: Record<string, string> }> {
  const res = await fetch(`${node.apiUrl}/api/v1/uri`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(data),
  })
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as { cap: string; placement: Record<string, string> }
}

async function get(node: TestNode, cap: string, range?: string): Promise<Response> {
  return fetch(`${node.apiUrl}/api/v1/uri/${encodeURIComponent(cap)}`, {
    headers: { authorization: `Bearer ${node.token}`, ...(range && { range }) },
  })
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

beforeAll(async () => {
  cloud = await createTestCloud(10)
  gateway = cloud.nodes[0] as TestNode
  for (const node of cloud.nodes) {
    await node.api('PUT', '/builtin-services/storage', { options: { port: 0, reserved: 0 } })
  }
  const config = join(gateway.dataDir, 'config.json')
  const parsed = JSON.parse(await readFile(config, 'utf8'))
  parsed.storage = { ...parsed.storage, maxSegmentSize: SEGMENT }
  await writeFile(config, JSON.stringify(parsed))
  await gateway.stop()
  await gateway.start()
  await eventually(
    async () => (await gateway.api<ServiceView[]>('GET', '/services?type=storage')).length === 10,
    'node-1 to see 10 storage servers',
    60_000,
  )
}, 300_000)

afterAll(async () => {
  await cloud?.cleanup()
})

describe('storage on ten real nodes', () => {
  it('announces every storage server with its NURL redacted in the API', async () => {
    const services = await gateway.api<ServiceView[]>('GET', '/services?type=storage')
    expect(services.every((s) => s.txt.nurl === '(secret)' && s.public === false)).toBe(true)
  })

  it('stores files with one share per server and reads them back bit-exact from another node', async () => {
    for (const size of [10, 56, 3 * SEGMENT + 5]) {
      const data = randomBytes(size)
      const { cap, placement } = await put(gateway, data)
      if (size > 55) expect(new Set(Object.values(placement)).size).toBe(10)
      files.set(cap, data)
      const res = await get(cloud.nodes[4] as TestNode, cap)
      expect(res.status).toBe(200)
      expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(data))
    }
  })

  it('serves byte ranges, and 416 past the end', async () => {
    const [cap, data] = [...files].at(-1) as [string, Buffer]
    const res = await get(gateway, cap, `bytes=${SEGMENT - 3}-${SEGMENT + 6}`)
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes ${SEGMENT - 3}-${SEGMENT + 6}/${data.length}`)
    expect(Buffer.from(await res.arrayBuffer()).equals(data.subarray(SEGMENT - 3, SEGMENT + 7))).toBe(true)
    expect((await get(gateway, cap, `bytes=${data.length}-`)).status).toBe(416)
  })

  it('puts and gets with the CLI, and check lists every server', async () => {
    const data = randomBytes(5000)
    const path = join(cloud.root, 'cli-file.bin')
    await writeFile(path, data)
    const put = await gateway.cli(['put', path])
    expect(put.code, put.stderr).toBe(0)
    const cap = put.stdout.trim()
    expect(cap).toMatch(/^URI:CHK:/)
    const out = join(cloud.root, 'cli-file.out')
    const got = await gateway.cli(['get', cap, '-o', out])
    expect(got.code, got.stderr).toBe(0)
    expect((await readFile(out)).equals(data)).toBe(true)
    const check = await gateway.cli(['check', cap])
    expect(check.stdout).toContain('healthy: 10 of 10 shares good')
    files.set(cap, data)
  })

  it('refuses garbage caps and malformed input with clear 4xx errors', async () => {
    const garbage = await get(gateway, 'URI:CHK:not-a-cap')
    expect(garbage.status).toBe(400)
    expect(((await garbage.json()) as { error: { code: string } }).error.code).toBe('INVALID_CAP')
    const cli = await gateway.cli(['get', 'hello'])
    expect(cli.code).toBe(2)
    expect(cli.stderr).not.toContain('hello')
  })

  it('keeps no plaintext on any node’s disk', async () => {
    const marker = Buffer.from(`plaintext-marker-${randomBytes(6).toString('hex')}`)
    const data = Buffer.concat(Array.from({ length: 300 }, () => marker))
    const { cap } = await put(gateway, data)
    files.set(cap, data)
    for (const node of cloud.nodes) {
      for (const file of await filesUnder(node.dataDir)) {
        if (file.endsWith('.log')) continue
        expect((await readFile(file)).includes(marker), file).toBe(false)
      }
    }
  })

  it('completes an upload without a storage node killed (-9) at its first write of it', async () => {
    const victim = cloud.nodes[9] as TestNode
    const stream = new AbortController()
    const events = await fetch(`${victim.apiUrl}/api/v1/events`, {
      headers: { authorization: `Bearer ${victim.token}` },
      signal: stream.signal,
    })
    const killed = (async () => {
      const decoder = new TextDecoder()
      let text = ''
      for await (const chunk of events.body as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true })
        if (text.includes('event: share:write-received')) return victim.kill()
      }
    })().catch(() => {})
    // 10 MiB in 32 KiB segments: hundreds of writes, so the kill lands long before the end
    const data = randomBytes(10 * 1024 * 1024)
    const { cap, placement } = await put(gateway, data)
    stream.abort()
    await killed
    expect(victim.proc?.signalCode).toBe('SIGKILL')
    expect(Object.values(placement)).not.toContain(victim.name)
    expect(new Set(Object.values(placement)).size).toBeGreaterThanOrEqual(7)
    const res = await get(gateway, cap)
    const body = new Uint8Array(await res.arrayBuffer())
    expect([res.status, body.length]).toEqual([200, data.length])
    expect(sha(body)).toBe(sha(data))
    files.set(cap, data)
  })

  it('reads every file with 7 of the 10 storage nodes killed', async () => {
    // the gateway (node-1) and two more stay; kill -9 the other seven
    for (const node of cloud.nodes.slice(3)) await node.kill()
    for (const [cap, data] of files) {
      const res = await get(gateway, cap)
      expect(res.status, cap.slice(0, 12)).toBe(200)
      expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(data))
    }
  })

  it('refuses an upload clearly when fewer than 7 storage servers remain', async () => {
    await eventually(
      async () => (await gateway.api<ServiceView[]>('GET', '/services?type=storage')).length === 3,
      'the killed servers to leave the catalogue',
      60_000,
    )
    const res = await fetch(`${gateway.apiUrl}/api/v1/uri`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${gateway.token}` },
      body: new Uint8Array(randomBytes(1000)),
    })
    expect(res.status).toBe(503)
    const { error } = (await res.json()) as { error: { code: string; message: string } }
    expect(error.code).toBe('NOT_ENOUGH_SERVERS')
    expect(error.message).toContain('needs at least 7')
  })
})
