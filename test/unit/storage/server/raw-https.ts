import { Agent, request } from 'node:https'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export interface RawRequest {
  method: string
  path: string
  headers?: Record<string, string | string[]>
  body?: Uint8Array
}

/** HTTPS requests to a test server, sent exactly as given (no certificate check: tests only). */
export function rawClient(port: number) {
  const agent = new Agent({ keepAlive: true, rejectUnauthorized: false })
  return {
    send(r: RawRequest): Promise<RawResponse> {
      return new Promise((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers ?? {}, agent },
          (res) => {
            const parts: Buffer[] = []
            res.on('data', (c: Buffer) => parts.push(c))
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
            )
            res.on('error', reject)
          },
        )
        req.on('error', reject)
        req.end(r.body === undefined ? undefined : Buffer.from(r.body))
      })
    },
    close: () => agent.destroy(),
  }
}
