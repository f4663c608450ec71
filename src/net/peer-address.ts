import { isIP } from 'node:net'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_P2P, CODE_P2P_CIRCUIT, type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { CloudyError } from '../util/errors.ts'

/** Parses a peer id string (base58btc "12D3Koo..." or CID form); throws INVALID_INPUT. */
export function parsePeerId(peer: string): PeerId {
  try {
    return peerIdFromString(peer)
  } catch {
    throw new CloudyError('INVALID_INPUT', `not a peer id: "${peer}"`)
  }
}

/** Parses a multiaddr; throws INVALID_INPUT naming the address. */
export function parseMultiaddr(addr: string): Multiaddr {
  try {
    return multiaddr(addr)
  } catch (err) {
    throw new CloudyError('INVALID_INPUT', `not a multiaddr: "${addr}" (${(err as Error).message})`)
  }
}

/** The peer id an address ends with (`.../p2p/<id>`), or undefined when it names none. */
export function targetPeerOf(addr: Multiaddr): string | undefined {
  const last = addr.getComponents().at(-1)
  return last?.code === CODE_P2P ? last.value : undefined
}

/** True when the address goes through a circuit relay. */
export function isCircuitAddress(addr: Multiaddr): boolean {
  return addr.getComponents().some((c) => c.code === CODE_P2P_CIRCUIT)
}

/** The TCP listen multiaddr for an IP host and port; throws INVALID_INPUT for a non-IP host. */
export function listenMultiaddr(host: string, port: number): Multiaddr {
  const family = isIP(host)
  if (family === 0) throw new CloudyError('INVALID_INPUT', `listen host must be an IP address, got "${host}"`)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CloudyError('INVALID_INPUT', `not a TCP port: ${port}`)
  }
  return multiaddr(`/ip${family}/${host}/tcp/${port}`)
}

const LISTEN_HINTS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: 'no network interface has this address',
  EACCES: 'permission denied',
}

/** The error for a libp2p listener that could not start: UNAVAILABLE, naming host, port and cause. */
export function listenError(err: unknown, host: string, port: number): CloudyError {
  const message = err instanceof Error ? err.message : String(err)
  const code = /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES)\b/.exec(message)?.[1]
  const why = code ? LISTEN_HINTS[code] : message.split('\n')[0]
  return new CloudyError('UNAVAILABLE', `cannot listen on ${host} port ${port}: ${why}`, { cause: err })
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase()
  return h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h)
}
