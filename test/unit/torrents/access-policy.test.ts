import { describe, expect, it } from 'vitest'
import { createAccessPolicy, parseNetworks } from '../../../src/torrents/tracker/access-policy.ts'

describe('the tracker access policy', () => {
  it('lets in members (as they are now), loopback and allowed networks, and no one else', () => {
    const members = ['10.1.0.5']
    const policy = createAccessPolicy(
      { open: false, allow: ['192.168.0.0/16', 'fd00::/8'] },
      { memberAddresses: () => members },
    )
    expect(policy.allows('10.1.0.5')).toBe(true)
    expect(policy.allows('::ffff:10.1.0.5')).toBe(true)
    expect(policy.allows('10.1.0.6')).toBe(false)
    expect(policy.allows('127.0.0.1')).toBe(true)
    expect(policy.allows('::1')).toBe(true)
    expect(policy.allows('192.168.4.4')).toBe(true)
    expect(policy.allows('fd12::1')).toBe(true)
    expect(policy.allows('not an address')).toBe(false)
    members.push('10.1.0.6')
    expect(policy.allows('10.1.0.6')).toBe(true)
  })

  it('lets anyone in when open', () => {
    const policy = createAccessPolicy({ open: true, allow: [] }, { memberAddresses: () => [] })
    expect(policy.allows('203.0.113.9')).toBe(true)
  })

  it('refuses a malformed network with INVALID_INPUT', () => {
    expect(() => parseNetworks(['10.0.0.0/33'])).toThrow(/not a network/)
    expect(() => parseNetworks(['example.org'])).toThrow(/not a network/)
  })
})
