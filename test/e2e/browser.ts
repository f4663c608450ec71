import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { REPO } from '../helpers/test-cloud.ts'

/** Debian's chromium (never a downloaded one). */
export const CHROMIUM = '/usr/bin/chromium'
export const haveChromium = existsSync(CHROMIUM)

export const SCREENSHOTS = join(REPO, 'artifacts/screenshots')
export const DASHBOARD_DIST = join(REPO, 'web/dist')

export const DESKTOP = { width: 1280, height: 800 }
export const PHONE = { width: 390, height: 844 }

/**
 * Headless chromium without background traffic. Playwright gives every launch a fresh temporary
 * profile (its own --user-data-dir), removed when the browser closes.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** A page in a context of its own: nodes on one host share cookies across ports, so one per node. */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    reducedMotion: 'reduce',
    colorScheme: 'light',
  })
  return context.newPage()
}

export async function logIn(page: Page, apiUrl: string, password: string): Promise<void> {
  await page.goto(`${apiUrl}/`)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('navigation', { name: 'Main' }).waitFor()
}

/** Goes to a page through the sidebar, as a user would: no reload. */
export async function openFromNav(page: Page, title: string): Promise<void> {
  const menu = page.getByRole('button', { name: 'Menu' })
  if (await menu.isVisible()) await menu.click()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: title }).click()
  await page.getByRole('heading', { level: 1, name: title }).waitFor()
}

/**
 * Saves a whole-page screenshot at the desktop and the phone width, then restores the desktop. The
 * window grows to the page's height (rather than a stitched full-page capture), so the sidebar and
 * the phone's top bar stay where a user sees them.
 */
export async function screenshotBoth(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  for (const [viewport, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size)
    const height = await page.evaluate(async () => {
      await document.fonts.ready
      return document.documentElement.scrollHeight
    })
    await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) })
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${viewport}.png`) })
  }
  await page.setViewportSize(DESKTOP)
}
