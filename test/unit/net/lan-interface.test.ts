import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { chooseLanInterface, type InterfaceTable, lanScope } from '../../../src/net/lan-interface.ts'

const v4 = (address: string, prefix: number, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: `${address}/${prefix}`,
})
const v6 = (address: string, prefix: number, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '',
  family: 'IPv6',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: `${address}/${prefix}`,
  scopeid: 0,
})

// a multi-homed host: loopback, a WAN interface listed first, the LAN, an IPv6-only tunnel
const HOST: InterfaceTable = {
  lo: [v4('127.0.0.1', 8, true), v6('::1', 128, true)],
  wan0: [v4('203.0.113.7', 24), v6('fe80::1', 64)],
  lan0: [v4('10.1.2.3', 24), v6('2001:db8:1::3', 64), v6('fe80::3', 64)],
  tun0: [v6('2001:db8:9::1', 64)],
}

describe('choosing the LAN discovery interface', () => {
  it('takes the interface holding a specific IPv4 listen address', () => {
    expect(chooseLanInterface('10.1.2.3', HOST)).toEqual({
      ok: true,
      lan: {
        name: 'lan0',
        address: '10.1.2.3',
        addresses: ['10.1.2.3', '2001:db8:1::3'],
        cidrs: ['10.1.2.3/24', '2001:db8:1::3/64'],
      },
    })
  })

  it('takes the IPv4 address of the interface holding an IPv6 listen address', () => {
    const choice = chooseLanInterface('2001:DB8:1::3', HOST)
    expect(choice).toMatchObject({ ok: true, lan: { name: 'lan0', address: '10.1.2.3' } })
  })

  it('is off for an interface without IPv4, naming the reason', () => {
    expect(chooseLanInterface('2001:db8:9::1', HOST)).toEqual({
      ok: false,
      reason: 'mDNS runs over IPv4 multicast, and interface tun0 has no IPv4 address',
    })
  })

  it('takes the first interface with a non-loopback IPv4 address for a wildcard listener', () => {
    expect(chooseLanInterface('0.0.0.0', HOST)).toMatchObject({ ok: true, lan: { name: 'wan0' } })
    expect(chooseLanInterface('::', HOST)).toMatchObject({ ok: true, lan: { name: 'wan0' } })
    const lanFirst = { lo: HOST.lo, lan0: HOST.lan0, wan0: HOST.wan0 }
    expect(chooseLanInterface('0.0.0.0', lanFirst)).toMatchObject({
      ok: true,
      lan: { name: 'lan0', address: '10.1.2.3' },
    })
  })

  it('is off for a wildcard listener on a host with loopback only', () => {
    const choice = chooseLanInterface('0.0.0.0', { lo: HOST.lo })
    expect(choice).toEqual({
      ok: false,
      reason: 'the node listens on every interface (0.0.0.0), but none has a non-loopback IPv4 address',
    })
  })

  it('is off for loopback and for addresses no interface holds', () => {
    expect(chooseLanInterface('127.0.0.1', HOST)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/loopback/),
    })
    expect(chooseLanInterface('::1', HOST)).toMatchObject({ ok: false })
    expect(chooseLanInterface('10.9.9.9', HOST)).toEqual({
      ok: false,
      reason: 'no network interface has the listen address 10.9.9.9',
    })
    const onLo = { lo: [...(HOST.lo ?? []), v4('10.99.0.1', 32, true)] }
    expect(chooseLanInterface('10.99.0.1', onLo)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/loopback/),
    })
  })
})

describe('LAN scope', () => {
  const choice = chooseLanInterface('10.1.2.3', HOST)
  if (!choice.ok) throw new Error(choice.reason)
  const scope = lanScope(choice.lan)

  it("contains the interface's subnets only", () => {
    expect(scope.contains('10.1.2.200')).toBe(true)
    expect(scope.contains('2001:db8:1::77')).toBe(true)
    expect(scope.contains('10.1.3.1')).toBe(false)
    expect(scope.contains('203.0.113.9')).toBe(false)
    expect(scope.contains('2001:db8:9::1')).toBe(false)
  })

  it('never contains loopback, link-local IPv6, multicast, broadcast or unspecified addresses', () => {
    const wide = lanScope({ name: 'x', address: '10.0.0.1', addresses: [], cidrs: ['0.0.0.0/0', '::/0'] })
    for (const ip of [
      '127.0.0.1',
      '0.0.0.0',
      '224.0.0.251',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'ff02::fb',
    ])
      expect(wide.contains(ip), ip).toBe(false)
    expect(wide.contains('192.168.1.1')).toBe(true)
    expect(wide.contains('not an ip')).toBe(false)
  })

  it("owns the interface's own addresses", () => {
    expect(scope.owns('10.1.2.3')).toBe(true)
    expect(scope.owns('2001:DB8:1::3')).toBe(true)
    expect(scope.owns('10.1.2.4')).toBe(false)
    expect(scope.owns('203.0.113.7')).toBe(false)
  })
})
