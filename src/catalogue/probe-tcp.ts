import { connect } from 'node:net'

/** Opens a TCP connection to host:port and closes it; resolves to the connect time in ms, or null. */
export function probeTcp(host: string, port: number, timeoutMs = 2000): Promise<number | null> {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = connect({ host, port })
    const done = (result: number | null) => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(timeoutMs, () => done(null))
    socket.once('connect', () => done(Math.round((performance.now() - started) * 100) / 100))
    socket.once('error', () => done(null))
  })
}
