import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { expect, test } from 'vitest'
import { StorageClient } from '../../../../src/storage/client/storage-client.ts'
import { swissnumAuthorization } from '../../../../src/storage/server/nurl.ts'
import { startStorageServer } from '../../../../src/storage/server/storage-server.ts'
import { rawClient } from './raw-https.ts'

test('the swissnum, the NURL and the secrets never reach the log, even at debug level', async () => {
  const lines: string[] = []
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    }),
  )
  const dir = await mkdtemp(join(tmpdir(), 'cloudy-logs-'))
  const server = await startStorageServer({ directory: dir, host: '127.0.0.1', port: 0 }, { logger })
  const client = new StorageClient({ nurl: server.nurl })
  const raw = rawClient(server.port)
  const secrets = {
    uploadSecret: randomBytes(16),
    renewSecret: randomBytes(32),
    cancelSecret: randomBytes(32),
  }
  const slot = {
    writeEnabler: randomBytes(32),
    renewSecret: secrets.renewSecret,
    cancelSecret: secrets.cancelSecret,
  }
  const si = randomBytes(16)
  try {
    await client.allocateBuckets(si, { ...secrets, shareNumbers: [0], allocatedSize: 4 })
    await client.writeShareChunk(si, 0, secrets.uploadSecret, 0, Buffer.from('abcd'))
    await client.readTestWrite(
      randomBytes(16),
      slot,
      new Map([[0, { test: [], write: [{ offset: 0, data: Buffer.from('x') }], newLength: null }]]),
      [],
    )
    await client.adviseCorruptImmutableShare(si, 0, 'bad block')
    await client.abortUpload(si, 0, secrets.uploadSecret).catch(() => {})
    const swissnum = server.nurl.split('/')[3]?.split('#')[0] as string
    await raw.send({
      method: 'PUT',
      path: '/storage/v1/lease/aaaaaaaaaaaaaaaaaaaaaaaaaa',
      headers: {
        authorization: swissnumAuthorization(swissnum),
        'x-tahoe-authorization': 'lease-renew-secret AAAA',
      },
    })
    await raw.send({
      method: 'GET',
      path: '/storage/v1/version',
      headers: { authorization: 'Tahoe-LAFS d3Jvbmc=' },
    })
    expect(lines.length).toBeGreaterThan(5)
    const log = lines.join('')
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64')
    for (const secret of [
      swissnum,
      Buffer.from(swissnum).toString('base64'),
      server.nurl,
      b64(secrets.uploadSecret),
      b64(secrets.renewSecret),
      b64(secrets.cancelSecret),
      b64(slot.writeEnabler),
    ]) {
      expect(log).not.toContain(secret)
    }
  } finally {
    raw.close()
    await client.close()
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
})
