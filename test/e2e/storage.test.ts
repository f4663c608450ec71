import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createTestCloud, type TestCloud, type TestNode } from '../helpers/test-cloud.ts'
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
const LIVE_TIMEOUT_MS = 30_000
/** 1-of-3 coding over 3 servers (the default 3/7/10 needs 7), with small segments for many of them */
const ENCODING = { needed: 1, happy: 2, total: 3, maxSegmentSize: 65_536 }
/** storage options for the tests: any free port, no reserved space on a test machine's disk */
const STORAGE_OPTIONS = { port: 0, reserved: 0 }

interface StorageServersAnswer {
  servers: { name: string; self: boolean; reachable: boolean }[]
  local: { shares: number } | null
}

/**
 * The Storage page of a real 3-node cloud in Debian's chromium: node-2 and node-3 run storage
 * servers, node-1's is switched on from the page; a file goes up and comes back through the page.
 */
describe.skipIf(!haveChromium)('the storage page', () => {
  let cloud: TestCloud
  let browser: Browser
  let node1: TestNode
  let page: Page
  let cap = ''
  const payload = randomBytes(200 * 1024 + 17)

  beforeAll(async () => {
    if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) {
      throw new Error('the dashboard is not built: run `npm run build` first')
    }
    ;[cloud, browser] = await Promise.all([createTestCloud(0), launchBrowser()])
    for (let i = 0; i < 3; i++) {
      const node = await cloud.addNode({ start: false })
      const path = join(node.dataDir, 'config.json')
      const config = JSON.parse(await readFile(path, 'utf8'))
      config.storage = ENCODING
      await writeFile(path, JSON.stringify(config, null, 2))
      await node.start()
    }
    const [first, ...others] = cloud.nodes as [TestNode, TestNode, TestNode]
    node1 = first
    for (const node of others) {
      await node.api('PUT', '/builtin-services/storage', { options: STORAGE_OPTIONS })
    }
    // node-1 keeps these options while off, so its switch turns them on again
    await node1.api('PUT', '/builtin-services/storage', { options: STORAGE_OPTIONS })
    await node1.api('DELETE', '/builtin-services/storage')
    page = await newPage(browser)
    await logIn(page, node1.apiUrl, PASSWORD)
  })

  afterAll(async () => {
    await browser?.close()
    await cloud?.cleanup()
  })

  test("shows the cloud's storage servers with their health, and switches this node's own on", async () => {
    await openFromNav(page, 'Storage')
    const table = page.getByRole('table')
    for (const name of ['node-2', 'node-3']) {
      await table
        .locator(`tr[data-row="${name}"]`)
        .getByText(/^reachable · /)
        .waitFor({ timeout: LIVE_TIMEOUT_MS })
    }
    const toggle = page.getByRole('switch', { name: 'Storage server' })
    expect(await toggle.isChecked()).toBe(false)
    await toggle.check()
    await page.getByText('The storage server runs').waitFor()
    const self = table.locator('tr[data-row="node-1"]')
    await self.getByText('this node').waitFor({ timeout: LIVE_TIMEOUT_MS })
    await self.getByText(/^reachable · /).waitFor({ timeout: LIVE_TIMEOUT_MS })
    expect(await table.locator('tbody tr').count()).toBe(3)
    await page.getByRole('term').filter({ hasText: 'Shares' }).waitFor()

    const res = await fetch(`${node1.apiUrl}/api/v1/storage/servers`, {
      headers: { authorization: `Bearer ${node1.token}` },
    })
    const text = await res.text()
    expect(text).not.toContain('pb://')
    const answer = JSON.parse(text) as StorageServersAnswer
    expect(answer.servers.map((s) => s.name).sort()).toEqual(['node-1', 'node-2', 'node-3'])
    expect(answer.servers.every((s) => s.reachable)).toBe(true)
    expect(answer.servers.filter((s) => s.self).map((s) => s.name)).toEqual(['node-1'])
    expect(answer.local).toMatchObject({ shares: 0 })
  })

  test('uploads a file through the page and shows its cap', async () => {
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'meeting-notes.bin',
      mimeType: 'text/plain',
      buffer: payload,
    })
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    const shown = page.getByTestId('uploaded-cap')
    await shown.waitFor({ timeout: LIVE_TIMEOUT_MS })
    cap = (await shown.textContent())?.trim() ?? ''
    expect(cap).toMatch(/^URI:CHK:/)
    await page.getByText('3 shares on 3 servers').waitFor()
    await page.getByRole('button', { name: 'Copy cap' }).waitFor()
    // this node's server now holds a share, and its row says so
    await page
      .locator('tr[data-row="node-1"] td[data-col="shares"]')
      .getByText('1', { exact: true })
      .waitFor({ timeout: LIVE_TIMEOUT_MS })
    await screenshotBoth(page, 'storage')
  })

  test('downloads the file by its cap, byte for byte', async () => {
    const field = page.getByRole('textbox', { name: 'Cap', exact: true })
    await field.fill('')
    await field.fill(cap)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download', exact: true }).click(),
    ])
    expect(download.suggestedFilename()).toBe('meeting-notes.bin')
    const saved = await download.path()
    expect((await readFile(saved)).equals(payload)).toBe(true)
    await page.getByText(/^Downloaded 200 KiB, every byte verified/).waitFor()
  })

  test('checks the file: healthy, with the shares each server holds', async () => {
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    const result = page.getByTestId('check-result')
    await result.getByText('Healthy').waitFor({ timeout: LIVE_TIMEOUT_MS })
    await result.getByText('3 of 3 shares found; any 1 rebuild the file.').waitFor()
    for (const name of ['node-1', 'node-2', 'node-3']) {
      await result.locator(`li[data-server="${name}"]`).waitFor()
    }
    expect(await result.locator('li[data-server]').count()).toBe(3)
    await screenshotBoth(page, 'storage-check')
  })

  test('refuses a cap that is not one, in words', async () => {
    const field = page.getByRole('textbox', { name: 'Cap', exact: true })
    await field.fill('URI:CHK:not-a-cap')
    await page.getByRole('button', { name: 'Download', exact: true }).click()
    const alert = page.getByRole('alert').filter({ hasText: /cap/i })
    await alert.waitFor()
    expect(await alert.textContent()).not.toContain('not-a-cap')
  })
})
