import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { TorrentView } from '../../src/torrents/views.ts'
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

/** The Torrents page of a real 2-node cloud in Debian's chromium: node-1 seeds, node-2 downloads. */
describe.skipIf(!haveChromium)('the torrents page', () => {
  let cloud: TestCloud
  let browser: Browser
  let seeder: TestNode
  let leecher: TestNode
  let page: Page
  let magnet = ''
  let payload = ''

  beforeAll(async () => {
    if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) {
      throw new Error('the dashboard is not built: run `npm run build` first')
    }
    ;[cloud, browser] = await Promise.all([createTestCloud(2), launchBrowser()])
    ;[seeder, leecher] = cloud.nodes as [TestNode, TestNode]
    await seeder.api('PUT', '/builtin-services/tracker', { options: { port: 0 } })
    await seeder.api('PUT', '/builtin-services/torrents', {})
    payload = join(cloud.root, 'Community meeting 2026.mkv')
    // big enough, and the seeder slow enough, that the page shows the download under way
    await writeFile(payload, randomBytes(6 * 1024 * 1024))
    await seeder.api('PUT', '/builtin-services/torrents', { options: { uploadLimit: 1_500_000 } })
    const created = await seeder.api<{ magnet: string }>('POST', '/torrents/create', {
      path: payload,
      seed: true,
    })
    magnet = created.magnet
    page = await newPage(browser)
    await logIn(page, leecher.apiUrl, PASSWORD)
  })

  afterAll(async () => {
    await browser?.close()
    await cloud?.cleanup()
  })

  test('offers to switch the client on, then adds a magnet link and shows the download live to the end', async () => {
    await openFromNav(page, 'Torrents')
    await page.getByText('The BitTorrent client is off on this node').waitFor()
    await page.getByRole('button', { name: 'Switch on the torrents service' }).click()
    await page.getByRole('heading', { name: 'Add a torrent' }).waitFor()
    await page.getByRole('textbox', { name: 'Magnet link' }).fill(magnet)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    const row = page.locator('tr[data-row="Community meeting 2026.mkv"]')
    await row.getByText('Downloading').waitFor({ timeout: 30_000 })
    await screenshotBoth(page, 'torrents')
    await row.getByText('Seeding').waitFor({ timeout: 60_000 })
    expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100')
    const [view] = await leecher.api<TorrentView[]>('GET', '/torrents')
    expect(await readFile(join((view as TorrentView).path, 'Community meeting 2026.mkv'))).toEqual(
      await readFile(payload),
    )
  })

  test('pauses, resumes and removes a torrent', async () => {
    const row = page.locator('tr[data-row="Community meeting 2026.mkv"]')
    await row.getByRole('button', { name: /^Pause / }).click()
    await row.getByText('Paused').waitFor()
    await row.getByRole('button', { name: /^Resume / }).click()
    await row.getByText('Seeding').waitFor({ timeout: 20_000 })
    await row.getByRole('button', { name: 'Delete data' }).click()
    await row.getByRole('button', { name: 'Delete' }).click()
    await page.getByText('No torrents yet').waitFor()
    await eventually(
      async () => (await leecher.api<TorrentView[]>('GET', '/torrents')).length === 0,
      'removed',
    )
  })

  test("shows the seeder's tracker with its swarm", async () => {
    const seederPage = await newPage(browser)
    await logIn(seederPage, seeder.apiUrl, PASSWORD)
    await openFromNav(seederPage, 'Torrents')
    await seederPage.getByRole('heading', { name: "This node's tracker" }).waitFor()
    await seederPage.getByText('Answers the members of the cloud only').waitFor()
    await screenshotBoth(seederPage, 'torrents-seeder')
  })
})
