import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { formatKiB, INITIAL_LOAD_BUDGET_BYTES, measureInitialLoad } from '../../scripts/dashboard-assets.ts'
import { createTestCloud, eventually, type TestCloud, type TestNode } from '../helpers/test-cloud.ts'
import {
  DASHBOARD_DIST,
  haveChromium,
  launchBrowser,
  logIn,
  newPage,
  openFromNav,
  screenshotBoth,
} from './browser.ts'

const PASSWORD = 'test-admin-password'

if (!haveChromium)
  console.warn('skipping the dashboard tests: no /usr/bin/chromium (apt-get install chromium)')
const LIVE_TIMEOUT_MS = 30_000

/** The dashboard of a real 3-node cloud in Debian's chromium; screenshots go to artifacts/. */
describe.skipIf(!haveChromium)('the dashboard', () => {
  let cloud: TestCloud
  let browser: Browser
  let node1: TestNode
  let node2: TestNode
  let node3: TestNode
  let page1: Page
  let page3: Page
  /** servers behind the published services: a publisher hides a service whose port does not answer */
  let web: Server
  let shell: Server

  beforeAll(async () => {
    if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) {
      throw new Error('the dashboard is not built: run `npm run build` first')
    }
    web = createServer((_req, res) => res.end('wiki'))
    shell = createServer((_req, res) => res.end('shell'))
    await Promise.all(
      [web, shell].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))),
    )
    ;[cloud, browser] = await Promise.all([createTestCloud(3), launchBrowser()])
    ;[node1, node2, node3] = cloud.nodes as [TestNode, TestNode, TestNode]
  })

  afterAll(async () => {
    await browser?.close()
    await cloud?.cleanup()
    web?.close()
    shell?.close()
  })

  test('the initial load stays within 300 KB gzipped; assets are cached, index.html revalidated', async () => {
    const load = await measureInitialLoad(DASHBOARD_DIST)
    console.log(
      `dashboard initial load: ${formatKiB(load.gzipBytes)} gzipped (${formatKiB(load.bytes)} raw): ${load.files.map((f) => f.path).join(', ')}`,
    )
    expect(load.gzipBytes).toBeLessThanOrEqual(INITIAL_LOAD_BUDGET_BYTES)

    const index = await fetch(`${node1.apiUrl}/nodes`)
    expect(index.status).toBe(200)
    expect(index.headers.get('cache-control')).toBe('no-cache')
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'")
    const asset = load.files[0]?.path as string
    const res = await fetch(`${node1.apiUrl}${asset}`)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('content-encoding')).toMatch(/^(br|gzip)$/)
  })

  test('a wrong password is refused with a message, and nothing of the node shows', async () => {
    const page = await newPage(browser)
    await page.goto(`${node1.apiUrl}/`)
    await page.getByRole('heading', { name: 'Log in to this node' }).waitFor()
    await screenshotBoth(page, 'login')
    await page.getByLabel('Password').fill('not-the-password')
    await page.getByRole('button', { name: 'Log in' }).click()
    const alert = page.locator('#login-error')
    await alert.getByText('Wrong username or password').waitFor()
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0)
    expect(page.url()).not.toContain('password')
    await page.context().close()
  })

  test('after login the Nodes page shows the 3 nodes of the cloud, alive', async () => {
    page1 = await newPage(browser)
    await logIn(page1, node1.apiUrl, PASSWORD)
    await page1.getByRole('heading', { name: 'Overview' }).waitFor()
    await openFromNav(page1, 'Nodes')
    for (const name of ['node-1', 'node-2', 'node-3']) {
      await page1
        .locator(`tr[data-row="${name}"] [data-status="alive"]`)
        .waitFor({ timeout: LIVE_TIMEOUT_MS })
    }
    expect(await page1.locator('tbody tr').count()).toBe(3)
  })

  test('a service published on node 1 with the form appears on node 3 without a reload', async () => {
    page3 = await newPage(browser)
    await logIn(page3, node3.apiUrl, PASSWORD)
    await openFromNav(page3, 'Services')
    // a marker that a reload would wipe
    await page3.evaluate(() => {
      ;(window as unknown as { marker: string }).marker = 'still here'
    })

    const port = (web.address() as AddressInfo).port
    await openFromNav(page1, 'Services')
    await page1.getByLabel('Type').fill('web')
    await page1.getByLabel('Port').fill(String(port))
    await page1.getByLabel('Description').fill('Community wiki')
    await page1.getByRole('button', { name: 'Publish', exact: true }).click()
    await page1.getByText(`Published web on port ${port}`).waitFor()

    const row = page3.locator(`tr[data-row="node-1/web/${port}"]`)
    await row.waitFor({ timeout: LIVE_TIMEOUT_MS })
    expect(await row.textContent()).toContain('Community wiki')
    expect(await page3.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('still here')

    // a second type, to show the tabs, and a scan of both
    const shellPort = (shell.address() as AddressInfo).port
    await node2.api('POST', '/services', { type: 'ssh', port: shellPort, description: 'Shell for members' })
    await page3.locator(`tr[data-row="node-2/ssh/${shellPort}"]`).waitFor({ timeout: LIVE_TIMEOUT_MS })
    await page3.getByRole('button', { name: 'Scan quality' }).click()
    await page3.getByText('Scanned 2 services from this node: 2 reachable, 0 unreachable.').waitFor()
    expect(await page3.locator('tbody tr.row-good').count()).toBe(2)
    await screenshotBoth(page3, 'services')
    await page3.getByRole('tab', { name: /^Web/ }).click()
    await page3.waitForURL(/\/services\/web$/)
    expect(await page3.locator('tbody tr').count()).toBe(1)
    await screenshotBoth(page3, 'services-web')
  })

  test('a killed node turns dead on the dashboard, in the table and the graph', async () => {
    await openFromNav(page3, 'Nodes')
    await node2.kill()
    await page3.locator('tr[data-row="node-2"] [data-status="dead"]').waitFor({ timeout: LIVE_TIMEOUT_MS })
    expect(await page3.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('still here')
    await screenshotBoth(page3, 'nodes')
    await page3.getByRole('tab', { name: 'Graph' }).click()
    await page3.locator('g[data-node="node-2"].g-dead').waitFor()
    await screenshotBoth(page3, 'nodes-graph')
  })

  test('Overview and Events tell what happened', async () => {
    await openFromNav(page3, 'Overview')
    await page3.getByRole('heading', { name: '1 member down' }).waitFor({ timeout: LIVE_TIMEOUT_MS })
    await screenshotBoth(page3, 'overview')
    await openFromNav(page3, 'Events')
    await page3.locator('[data-event="member:died"]').first().waitFor({ timeout: LIVE_TIMEOUT_MS })
    expect(await page3.locator('[data-event="service:published"]').count()).toBeGreaterThan(0)
    await screenshotBoth(page3, 'events')
  })

  test('Settings: the listen address waits for a restart; invites show as text and QR code', async () => {
    await openFromNav(page1, 'Settings')
    const storage = page1.locator('form[aria-labelledby="storage-title"]')
    await storage.getByLabel('Capacity').fill('1 GiB')
    await storage.getByRole('button', { name: 'Save' }).click()
    await page1.getByText(/This node now contributes .+ of storage/).waitFor()
    const builtins = await node1.api<{ name: string; running: boolean; options: { capacity?: number } }[]>(
      'GET',
      '/builtin-services',
    )
    expect(builtins.find((b) => b.name === 'storage')).toMatchObject({
      running: true,
      options: { capacity: 1024 ** 3 },
    })

    await page1.getByRole('textbox', { name: 'Listen address' }).fill('0.0.0.0')
    await page1.locator('form[aria-labelledby="listen-title"]').getByRole('button', { name: 'Save' }).click()
    await page1.getByText('Restart needed').waitFor()
    const config = JSON.parse(await readFile(join(node1.dataDir, 'config.json'), 'utf8'))
    expect(config.host).toBe('0.0.0.0')
    expect((await node1.api<{ host: string }>('GET', '/status')).host).toBe('127.0.0.1')

    await page1.getByLabel('Valid for').selectOption('7d')
    await page1.getByRole('button', { name: 'Create invite' }).click()
    const code = await page1.locator('[data-secret="invite"]').textContent()
    expect(code).toMatch(/cloudy join 'cloudy-invite-v1:/)
    await page1.getByRole('img', { name: /QR code of invite/ }).waitFor()
    await eventually(
      async () => (await node1.api<{ state: string }[]>('GET', '/invites')).some((i) => i.state === 'active'),
      'the invite to be listed',
    )
    await page1.getByLabel("New token's name").fill('backup script')
    await page1.getByRole('button', { name: 'Create token' }).click()
    await page1.locator('[data-secret="token"]').waitFor()
    expect(page1.url()).not.toMatch(/cloudy_|invite-v1/)
    await screenshotBoth(page1, 'settings')
  })
})
