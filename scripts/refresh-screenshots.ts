/**
 * Refreshes the dashboard screenshots in docs/screenshots/ that the README shows: runs the
 * end-to-end tests (a real 3-node cloud in Debian's chromium), which write every page at desktop
 * and phone width to artifacts/screenshots/, then copies the README's selection.
 *
 *   npm run screenshots        (builds first; the same as `npm run build && tsx scripts/refresh-screenshots.ts`)
 */
import { spawnSync } from 'node:child_process'
import { copyFile, mkdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

const REPO = resolve(import.meta.dirname, '..')
const FROM = join(REPO, 'artifacts/screenshots')
const TO = join(REPO, 'docs/screenshots')

/** What the README's Dashboard section shows. */
export const README_SCREENSHOTS = [
  'overview-desktop.png',
  'nodes-desktop.png',
  'nodes-graph-desktop.png',
  'services-desktop.png',
  'events-desktop.png',
  'settings-desktop.png',
  'overview-phone.png',
  'nodes-phone.png',
  'services-phone.png',
  'login-phone.png',
]

async function main(): Promise<void> {
  const started = Date.now()
  const run = spawnSync(
    process.execPath,
    [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'e2e'],
    {
      cwd: REPO,
      stdio: 'inherit',
    },
  )
  if (run.status !== 0)
    throw new Error(`the end-to-end tests failed (exit ${run.status}); screenshots not copied`)
  await mkdir(TO, { recursive: true })
  for (const name of README_SCREENSHOTS) {
    const source = join(FROM, name)
    const written = await stat(source).catch(() => undefined)
    if (written === undefined || written.mtimeMs < started) {
      throw new Error(`${source} was not written by this run: is Debian's chromium at /usr/bin/chromium?`)
    }
    await copyFile(source, join(TO, name))
  }
  console.log(`copied ${README_SCREENSHOTS.length} screenshots to ${TO}`)
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
