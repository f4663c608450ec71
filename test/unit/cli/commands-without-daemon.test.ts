import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { acquireLock, type DataDir } from '../../../src/node/data-dir.ts'
import { CloudyError } from '../../../src/util/errors.ts'
import { cli, fakeNodeCommands, removeDir, tempDataDir } from './cli-fixture.ts'

let dataDir: DataDir
beforeEach(async () => {
  dataDir = await tempDataDir()
})
afterEach(() => removeDir(dataDir))

describe('no daemon', () => {
  test('API commands exit 3 (DAEMON_NOT_RUNNING) and say how to start one', async () => {
    for (const args of [['status'], ['nodes', '--json'], ['search', 'web'], ['invite'], ['service', 'ls']]) {
      const run = await cli([...args, '--data-dir', dataDir.root])
      expect(run.code, args.join(' ')).toBe(3)
      expect(run.err).toBe(
        `error: no Cloudy daemon runs on ${dataDir.root}: start one with \`cloudy start --data-dir ${dataDir.root}\``,
      )
      expect(run.out).toBe('')
    }
  })

  test('a daemon file whose port refuses connections is DAEMON_NOT_RUNNING too', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    const release = await acquireLock(dataDir)
    await writeFile(dataDir.daemon, JSON.stringify({ apiUrl: `http://127.0.0.1:${port}`, pid: process.pid }))
    await writeFile(dataDir.cliToken, 'cloudy_token\n')
    try {
      const run = await cli(['status', '--data-dir', dataDir.root])
      expect(run.code).toBe(3)
      expect(run.err).toContain('no Cloudy daemon runs on')
    } finally {
      await release()
    }
  })

  test('init, cloud create and join work on the data directory itself', async () => {
    const commands = fakeNodeCommands()
    const deps = { nodeCommands: async () => commands }
    const init = await cli(['init', '--name', 'n1', '--data-dir', dataDir.root], deps)
    expect(init.code).toBe(0)
    expect(init.out).toBe(
      `initialised node n1 (node-id) in ${dataDir.root}\nadmin password: generated-password`,
    )
    expect(commands.initNode).toHaveBeenCalledWith(dataDir.root, { name: 'n1' })

    expect((await cli(['cloud', 'create', 'lab', '--force', '--data-dir', dataDir.root], deps)).out).toBe(
      'created cloud lab (id c1, key fingerprint 0a0b0c0d)',
    )
    expect(commands.createCloudOffline).toHaveBeenCalledWith(dataDir.root, 'lab', { force: true })

    expect((await cli(['--data-dir', dataDir.root, 'join', 'CODE'], deps)).code).toBe(0)
    expect(commands.joinCloudOffline).toHaveBeenCalledWith(dataDir.root, 'CODE', {})
  })

  test('errors of the offline commands exit with their mapped code, without a stack unless debugging', async () => {
    const commands = fakeNodeCommands()
    commands.createCloudOffline.mockRejectedValue(new CloudyError('DATA_DIR_LOCKED', 'a daemon (pid 1) runs'))
    const deps = { nodeCommands: async () => commands }
    const quiet = await cli(['cloud', 'create', 'x', '--data-dir', dataDir.root], deps)
    expect(quiet).toMatchObject({ code: 3, err: 'error: a daemon (pid 1) runs' })
    const debug = await cli(['cloud', 'create', 'x', '--data-dir', dataDir.root], { ...deps, debug: true })
    expect(debug.err).toContain('at ')

    commands.joinCloudOffline.mockRejectedValue(new TypeError('unexpected'))
    expect(await cli(['join', 'x', '--data-dir', dataDir.root], deps)).toMatchObject({
      code: 1,
      err: 'error: unexpected',
    })
  })
})

describe('start', () => {
  test('starts the daemon with the options, prints its URLs and password, and stops on a signal (exit 0)', async () => {
    const commands = fakeNodeCommands()
    const run = await cli(
      [
        'start',
        '--host',
        '0.0.0.0',
        '--p2p-port',
        '0',
        '--api-port',
        '8080',
        '--name',
        'n1',
        '--data-dir',
        dataDir.root,
      ],
      { nodeCommands: async () => commands },
    )
    expect(run.code).toBe(0)
    expect(commands.startDaemon).toHaveBeenCalledWith(dataDir.root, {
      host: '0.0.0.0',
      p2pPort: 0,
      apiPort: 8080,
      name: 'n1',
    })
    expect(run.out).toContain('admin password: generated-password')
    expect(run.out).toContain('API:       http://127.0.0.1:7780/api/v1')
    expect(run.out).toContain('dashboard: http://127.0.0.1:7780/')
    expect(run.err).toContain('SIGINT')
    expect(commands.stop).toHaveBeenCalledOnce()
  })
})

describe('usage', () => {
  test('usage errors exit 2; --help and --version exit 0', async () => {
    const dir = ['--data-dir', dataDir.root]
    expect((await cli(['status', '--bogus', ...dir])).code).toBe(2)
    expect((await cli(['publish', 'web', '70000', '--description', 'x', ...dir])).code).toBe(2)
    expect((await cli(['publish', 'web', '80', ...dir])).err).toContain(
      "required option '--description <text>'",
    )
    expect((await cli(['publish', 'web', '80', '--description', 'x', '--txt', 'nokey', ...dir])).code).toBe(2)
    expect((await cli(['unpublish', 'web', ...dir])).code).toBe(2)
    expect((await cli(['frobnicate', ...dir])).code).toBe(2)
    expect(await cli(['--version'])).toMatchObject({ code: 0, out: '9.9.9' })
    const help = await cli(['search', '--help'])
    expect(help.code).toBe(0)
    expect(help.out).toContain('--txt <k=v...>')
  })
})
