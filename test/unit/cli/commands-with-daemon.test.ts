import { writeFile } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { TestApi } from '../api/api-fixture.ts'
import { VALID_INVITE } from '../api/fake-node.ts'
import { cli, fakeNodeCommands, startFakeDaemon } from './cli-fixture.ts'

let daemon: TestApi
let dir: string
beforeEach(async () => {
  daemon = await startFakeDaemon()
  dir = daemon.dataDir.root
})
afterEach(() => daemon.close())

describe('--data-dir', () => {
  test('is taken before or after the command name, also after a subcommand', async () => {
    const before = await cli(['--data-dir', dir, 'status', '--json'])
    const after = await cli(['status', '--json', '--data-dir', dir])
    expect(before.code).toBe(0)
    expect(JSON.parse(before.out)).toEqual(daemon.node.status())
    expect(after.out).toBe(before.out)
    expect((await cli(['invite', 'ls', '--data-dir', dir])).code).toBe(0)
    expect((await cli(['invite', '--data-dir', dir, 'ls'])).code).toBe(0)
  })
})

describe('read commands', () => {
  test('status and nodes print text, or the API answer with --json', async () => {
    const status = await cli(['status', '--data-dir', dir])
    expect(status.out).toMatch(/^node +alpha \(node-a\)$/m)
    expect(status.out).toMatch(/^members +1 alive, 1 suspect, 0 dead, 0 left$/m)
    const nodes = await cli(['nodes', '--data-dir', dir])
    expect(nodes.out.split('\n')).toEqual([
      expect.stringMatching(/^ NAME +ID +STATUS/),
      expect.stringMatching(/^\*alpha +node-a +alive +127\.0\.0\.1 +- /),
      expect.stringMatching(/^ beta +node-b +suspect +127\.0\.0\.1 +1\.5 ms /),
    ])
    const json = await cli(['nodes', '--json', '--data-dir', dir])
    expect(JSON.parse(json.out)).toEqual(daemon.node.members())
  })
})

describe('services', () => {
  test('publish passes type, port, description, txt entries, host and public', async () => {
    const run = await cli([
      'publish',
      'web',
      '8080',
      '--description',
      'community wiki',
      '--txt',
      'path=/wiki',
      'lang=ca',
      '--txt',
      'v=2',
      '--host',
      '10.1.2.3',
      '--public',
      '--data-dir',
      dir,
    ])
    expect(run).toMatchObject({ code: 0, out: 'published web on 10.1.2.3:8080' })
    expect(daemon.node.services).toEqual([
      expect.objectContaining({
        type: 'web',
        port: 8080,
        description: 'community wiki',
        host: '10.1.2.3',
        txt: { path: '/wiki', lang: 'ca', v: '2' },
        public: true,
      }),
    ])
  })

  test('search filters by type, host and txt; --scan adds reachability; unpublish withdraws', async () => {
    await daemon.node.publish({ type: 'web', port: 80, txt: { path: '/a' } })
    await daemon.node.publish({ type: 'web', port: 81, txt: { path: '/b' } })
    await daemon.node.publish({ type: 'ftp', port: 21 })
    const ports = async (args: string[]) =>
      JSON.parse((await cli(['search', ...args, '--json', '--data-dir', dir])).out).map(
        (s: { port: number }) => s.port,
      )
    expect(await ports([])).toEqual([80, 81, 21])
    expect(await ports(['web'])).toEqual([80, 81])
    expect(await ports(['web', '--txt', 'path=/b'])).toEqual([81])
    expect(await ports(['--host', 'nowhere'])).toEqual([])

    const scan = await cli(['search', 'ftp', '--scan', '--data-dir', dir])
    expect(scan.out).toMatch(/^TYPE +PORT +HOST +NODE +REACH/)
    expect(scan.out).toMatch(/ftp +21 .* 0\.4 ms/)

    expect((await cli(['unpublish', 'web', '81', '--data-dir', dir])).code).toBe(0)
    expect(await ports(['web'])).toEqual([80])
  })

  test('service enable sends --capacity in bytes and typed --option values', async () => {
    const run = await cli([
      'service',
      'enable',
      'storage',
      '--capacity',
      '2GiB',
      '--option',
      'replicas=3',
      'mode=fast',
      '--data-dir',
      dir,
    ])
    expect(run).toMatchObject({ code: 0, out: 'storage is enabled and running' })
    expect(daemon.node.builtins.get('storage')?.options).toEqual({
      capacity: 2 * 1024 ** 3,
      replicas: 3,
      mode: 'fast',
    })
    expect((await cli(['service', 'ls', '--data-dir', dir])).out).toMatch(/^storage +yes +yes/m)
    expect((await cli(['service', 'disable', 'storage', '--data-dir', dir])).out).toBe('storage is disabled')
  })
})

describe('cloud commands go through the API while the daemon runs', () => {
  test('invite prints only the code on stdout; ls and revoke manage it', async () => {
    const invite = await cli(['invite', '--expires', '2h', '--data-dir', dir])
    expect(invite).toMatchObject({ code: 0, out: 'cloudy-invite-inv1' })
    expect(invite.err).toContain('inv1')
    expect((await cli(['invite', 'ls', '--data-dir', dir])).out).toMatch(/^inv1 +active/m)
    expect((await cli(['invite', 'revoke', 'inv1', '--data-dir', dir])).out).toBe('invite inv1 is revoked')
  })

  test('cloud create refuses on a member (exit 6) unless --force; join and init use the API too', async () => {
    const commands = fakeNodeCommands()
    const deps = { nodeCommands: async () => commands }
    const refused = await cli(['cloud', 'create', 'new', '--data-dir', dir], deps)
    expect(refused.code).toBe(6)
    expect(refused.err).toBe('error: already a member of "home"')

    expect((await cli(['cloud', 'create', 'new', '--force', '--data-dir', dir], deps)).code).toBe(0)
    expect(daemon.node.cloud?.name).toBe('new')
    expect((await cli(['join', VALID_INVITE, '--force', '--data-dir', dir], deps)).out).toMatch(
      /^joined cloud joined/,
    )
    expect((await cli(['init', '--name', 'gamma', '--data-dir', dir], deps)).code).toBe(0)
    expect(daemon.node.name).toBe('gamma')
    expect(commands.createCloudOffline).not.toHaveBeenCalled()
    expect(commands.joinCloudOffline).not.toHaveBeenCalled()
    expect(commands.initNode).not.toHaveBeenCalled()
  })

  test('a refused invite exits 7 with the daemon message', async () => {
    const run = await cli(['join', 'some-used-invite', '--force', '--data-dir', dir])
    expect(run.code).toBe(7)
    expect(run.err).toBe('error: the invite was used, expired or revoked')
  })
})

test('a CLI token the daemon does not know exits 4 (UNAUTHORIZED)', async () => {
  await writeFile(daemon.dataDir.cliToken, 'cloudy_forged\n')
  const run = await cli(['status', '--data-dir', dir])
  expect(run.code).toBe(4)
  expect(run.err).toBe('error: unknown or revoked API token')
})
