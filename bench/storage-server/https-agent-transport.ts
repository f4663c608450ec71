import { Agent, request } from 'node:https'
import { parseNurl, swissnumAuthorization } from '../../src/storage/server/nurl.ts'

/**
 * The alternative the client could have used: node:https with a keep-alive Agent. Only PATCH and
 * ranged GET of raw share bytes, to compare raw throughput with StorageClient's undici pool; it
 * checks no certificate pin (node:https calls no identity check for a self-signed certificate
 * once rejectUnauthorized is off), so it is a yardstick, not a client.
 */
export function httpsAgentTransport(nurl: string, connections: number) {
  const n = parseNurl(nurl)
  const agent = new Agent({ keepAlive: true, maxSockets: connections, rejectUnauthorized: false })
  const auth = swissnumAuthorization(n.swissnum)
  const call = (method: string, path: string, headers: Record<string, string>, body?: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) => {
      const req = request({
        host: n.host,
        port: n.port,
        method,
        path,
        agent,
        headers: { authorization: auth, ...headers },
      })
      req.on('response', (res) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () =>
          (res.statusCode ?? 0) < 300
            ? resolve(Buffer.concat(parts))
            : reject(new Error(`HTTP ${res.statusCode}`)),
        )
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength))
    })
  return {
    write: (si: string, shnum: number, uploadSecret: Uint8Array, offset: number, data: Uint8Array) =>
      call(
        'PATCH',
        `/storage/v1/immutable/${si}/${shnum}`,
        {
          'x-tahoe-authorization': `upload-secret ${Buffer.from(uploadSecret).toString('base64')}`,
          'content-range': `bytes ${offset}-${offset + data.length - 1}/*`,
        },
        data,
      ),
    read: (si: string, shnum: number, offset: number, length: number) =>
      call('GET', `/storage/v1/immutable/${si}/${shnum}`, {
        range: `bytes=${offset}-${offset + length - 1}`,
      }),
    close: () => agent.destroy(),
  }
}
