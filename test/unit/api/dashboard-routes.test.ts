import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, test } from 'vitest'
import { createTestApi, type TestApi } from './api-fixture.ts'

const INDEX =
  '<!doctype html><title>Cloudy</title><script type="module" src="/assets/app-abc123.js"></script>'
const SCRIPT = 'console.log("cloudy dashboard")\n'.repeat(20)

let api: TestApi | undefined
let dir: string | undefined
afterEach(async () => {
  await api?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
  api = undefined
  dir = undefined
})

/** An API whose dashboard is a small fake build in a temp dir. */
async function withBuild(options: { built: boolean } = { built: true }): Promise<TestApi> {
  dir = await mkdtemp(join(tmpdir(), 'cloudy-dashboard-'))
  if (options.built) {
    await mkdir(join(dir, 'assets'))
    await writeFile(join(dir, 'index.html'), INDEX)
    await writeFile(join(dir, 'assets/app-abc123.js'), SCRIPT)
    await writeFile(join(dir, 'assets/app-abc123.js.gz'), gzipSync(SCRIPT))
  }
  api = await createTestApi({ init: { dashboardDir: dir } })
  return api
}

describe('the dashboard', () => {
  test('/ and the app routes answer index.html without credentials, revalidated on every load', async () => {
    const { app } = await withBuild()
    for (const url of ['/', '/nodes', '/services/web', '/settings?tab=invites']) {
      const res = await app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type']).toContain('text/html')
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.headers['content-security-policy']).toContain("script-src 'self'")
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.body).toBe(INDEX)
    }
    const first = await app.inject({ method: 'GET', url: '/' })
    const again = await app.inject({
      method: 'GET',
      url: '/',
      headers: { 'if-none-match': first.headers.etag },
    })
    expect(again.statusCode).toBe(304)
  })

  test('hashed assets are cached for a year as immutable, gzipped for a client that takes it', async () => {
    const { app } = await withBuild()
    const plain = await app.inject({ method: 'GET', url: '/assets/app-abc123.js' })
    expect(plain.statusCode).toBe(200)
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(plain.headers['content-type']).toContain('javascript')
    expect(plain.body).toBe(SCRIPT)
    const gzipped = await app.inject({
      method: 'GET',
      url: '/assets/app-abc123.js',
      headers: { 'accept-encoding': 'gzip' },
    })
    expect(gzipped.headers['content-encoding']).toBe('gzip')
    expect(gzipped.rawPayload.length).toBeLessThan(SCRIPT.length)
  })

  test('a missing asset, an unknown API path and a non-GET are JSON 404s, not the app', async () => {
    const { app } = await withBuild()
    for (const [method, url] of [
      ['GET', '/assets/missing-123.js'],
      ['GET', '/api/v1/nope'],
      ['GET', '/api'],
      ['POST', '/nodes'],
    ] as const) {
      const res = await app.inject({ method, url })
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.json().error.code).toBe('NOT_FOUND')
    }
  })

  test('the API still needs credentials next to the public dashboard', async () => {
    const { app } = await withBuild()
    expect((await app.inject({ method: 'GET', url: '/api/v1/status' })).statusCode).toBe(401)
  })

  test('a node whose dashboard is not built says how to build it', async () => {
    const { app } = await withBuild({ built: false })
    const res = await app.inject({ method: 'GET', url: '/' })
    expect(res.statusCode).toBe(503)
    expect(res.body).toContain('npm run build')
  })
})
