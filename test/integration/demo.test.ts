import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { MemberView } from '../../src/membership/types.ts'
import { CLI, eventually } from '../helpers/test-cloud.ts'

const roots: string[] = []
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true })
})

async function nodeApi<T>(dir: string, path: string): Promise<T> {
  const { apiUrl } = JSON.parse(await readFile(join(dir, 'daemon.json'), 'utf8')) as { apiUrl: string }
  const token = (await readFile(join(dir, 'cli-token'), 'utf8')).trim()
  const res = await fetch(`${apiUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`${path}: ${res.status}`)
  return (await res.json()) as T
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

/** Runs `cloudy demo --nodes 3`, waits until the cloud has formed, sends `signal`, and checks every node exits. */
async function runDemoUntil(signal: NodeJS.Signals): Promise<number | null> {
  const root = await mkdtemp(join(tmpdir(), 'cloudy-demo-'))
  roots.push(root)
  const demo = spawn(process.execPath, [CLI, 'demo', '--nodes', '3', '--data-root', root], {
    // stdin stays open: with the watchdog on, the demo (and its nodes) end when this test dies
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CLOUDY_WATCHDOG: '1' },
  })
  let output = ''
  demo.stdout.on('data', (d) => (output += d))
  demo.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)))
  try {
    await eventually(
      () => (output.match(/http:\/\/127\.0\.0\.1:\d+/g) ?? []).length >= 3,
      'the node URLs',
      60_000,
    )
    for (const name of ['node-1', 'node-2', 'node-3']) {
      await eventually(
        async () =>
          (await nodeApi<MemberView[]>(join(root, name), '/nodes')).filter((m) => m.status === 'alive')
            .length === 3,
        `${name} sees the 3 nodes alive`,
      )
    }
    const pids = await Promise.all(
      ['node-1', 'node-2', 'node-3'].map(
        async (name) =>
          (JSON.parse(await readFile(join(root, name, 'daemon.json'), 'utf8')) as { pid: number }).pid,
      ),
    )
    demo.kill(signal)
    const code = await exited
    for (const pid of pids) await eventually(() => gone(pid), `node process ${pid} exits`)
    return code
  } finally {
    demo.kill('SIGKILL')
  }
}

describe('cloudy demo', () => {
  it('runs a cloud of real node processes and stops them all on Ctrl-C', async () => {
    expect(await runDemoUntil('SIGINT')).toBe(0)
  })

  it('leaves no node running when the demo itself is killed', async () => {
    await runDemoUntil('SIGKILL')
  })
})
