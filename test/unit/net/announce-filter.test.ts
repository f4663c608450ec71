import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { announceFilter, isLoopbackAddress } from '../../../src/net/announce-filter.ts'

const SELF = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
const RELAY = '12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE'

const filter = (host: string, addrs: string[]) =>
  announceFilter(host)(addrs.map((a) => multiaddr(a))).map(String)

describe('announce filter', () => {
  const lan = `/ip4/10.1.2.3/tcp/7001/p2p/${SELF}`
  const loopback = `/ip4/127.0.0.1/tcp/7001/p2p/${SELF}`
  const loopback6 = `/ip6/::1/tcp/7001/p2p/${SELF}`
  const viaLanRelay = `/ip4/10.1.2.9/tcp/7001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`
  const viaLoopbackRelay = `/ip4/127.0.0.1/tcp/7001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`

  it('drops loopback and loopback-relayed addresses of a node listening on every interface', () => {
    const all = [lan, loopback, loopback6, viaLanRelay, viaLoopbackRelay]
    expect(filter('0.0.0.0', all)).toEqual([lan, viaLanRelay])
    expect(filter('::', all)).toEqual([lan, viaLanRelay])
  })

  it('treats all of 127.0.0.0/8 and IPv4-mapped loopback as loopback', () => {
    expect(isLoopbackAddress(multiaddr('/ip4/127.8.9.10/tcp/1'))).toBe(true)
    expect(isLoopbackAddress(multiaddr('/ip6/::ffff:127.0.0.1/tcp/1'))).toBe(true)
    expect(isLoopbackAddress(multiaddr('/ip4/10.0.0.1/tcp/1'))).toBe(false)
    expect(isLoopbackAddress(multiaddr('/dns4/localhost/tcp/1'))).toBe(false)
  })

  it('keeps every address of a node that listens on loopback', () => {
    expect(filter('127.0.0.1', [loopback, viaLoopbackRelay])).toEqual([loopback, viaLoopbackRelay])
    expect(filter('::1', [loopback6])).toEqual([loopback6])
  })

  it('keeps loopback addresses when they are all there is', () => {
    expect(filter('0.0.0.0', [loopback])).toEqual([loopback])
    expect(filter('0.0.0.0', [])).toEqual([])
  })
})
