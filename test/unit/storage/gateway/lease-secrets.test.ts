import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fileLeaseSecrets } from '../../../../src/storage/gateway/lease-secrets.ts'
import { base32Decode } from '../../../../src/storage/util/base32.ts'

const FIXTURES = resolve(import.meta.dirname, '../../../../../shared/fixtures/tahoe-lafs')

interface Exchange {
  method: string
  request_headers: [string, string[]][]
}

describe('lease secrets', () => {
  it('are the ones a Tahoe-LAFS 1.20 client sends to each server of the fixture grid', () => {
    const transcript = JSON.parse(readFileSync(`${FIXTURES}/http-transcripts/fixture.json`, 'utf8'))
    const grid = JSON.parse(readFileSync(`${FIXTURES}/grid.json`, 'utf8'))
    const si = base32Decode(transcript.chk.storage_index_base32)
    const secrets = fileLeaseSecrets(new TextEncoder().encode(grid.client.lease_secret_ascii), si)
    let checked = 0
    for (const server of grid.servers as { nickname: string; tub_id_hex: string }[]) {
      const exchanges = transcript.chk.upload[server.nickname] as Exchange[]
      const allocate = exchanges.find((e) => e.method === 'POST') as Exchange
      const sent = new Map(
        allocate.request_headers
          .filter(([name]) => name.toLowerCase() === 'x-tahoe-authorization')
          .flatMap(([, values]) => values.map((v) => v.split(' ') as [string, string])),
      )
      const ours = secrets.forServer(Buffer.from(server.tub_id_hex, 'hex'))
      expect(Buffer.from(ours.renewSecret).toString('base64')).toBe(sent.get('lease-renew-secret'))
      expect(Buffer.from(ours.cancelSecret).toString('base64')).toBe(sent.get('lease-cancel-secret'))
      checked++
    }
    expect(checked).toBe(10)
  })
})
