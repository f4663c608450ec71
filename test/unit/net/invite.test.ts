import { createHash, randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { beforeAll, describe, expect, it } from 'vitest'
import { newCloudId } from '../../../src/net/cloud-key.ts'
import {
  decodeInvite,
  encodeInvite,
  hashInviteToken,
  INVITE_PREFIX,
  type Invite,
  isInviteExpired,
} from '../../../src/net/invite.ts'

let peer: string
let other: string
let invite: Invite

beforeAll(async () => {
  peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  invite = {
    v: 1,
    cloudId: newCloudId(),
    cloudName: 'Guifi Sants',
    token: randomBytes(32).toString('base64url'),
    peer,
    addrs: [
      `/ip4/10.1.2.3/tcp/7001/p2p/${peer}`,
      `/ip6/fd00::1/tcp/7001/p2p/${peer}`,
      `/dns4/node.example/tcp/7001/p2p/${peer}`,
    ],
    expiresAt: 1_900_000_000_000,
  }
})

/** The text form of an arbitrary JSON value, as a hand-made (possibly bad) invite. */
function codeOf(value: unknown): string {
  return INVITE_PREFIX + Buffer.from(JSON.stringify(value)).toString('base64url')
}

function decodeError(text: string): string {
  try {
    decodeInvite(text)
  } catch (err) {
    expect(err).toMatchObject({ code: 'INVALID_INVITE' })
    return (err as Error).message
  }
  throw new Error('decodeInvite accepted a bad invite')
}

describe('invite codes', () => {
  it('round-trips through the versioned text form', () => {
    const code = encodeInvite(invite)
    expect(code.startsWith('cloudy-invite-v1:')).toBe(true)
    expect(code).toMatch(/^cloudy-invite-v1:[A-Za-z0-9_-]+$/)
    expect(decodeInvite(code)).toEqual(invite)
    expect(decodeInvite(`  ${code}\n`)).toEqual(invite)
  })

  it('ignores unknown fields', () => {
    expect(decodeInvite(codeOf({ ...invite, hint: 'added later' }))).toEqual(invite)
  })

  it('says when the text is not an invite', () => {
    expect(decodeError('hello')).toMatch(/not a Cloudy invite/)
    expect(decodeError('')).toMatch(/not a Cloudy invite/)
  })

  it('says when the invite has another version', () => {
    expect(decodeError(`cloudy-invite-v2:${encodeInvite(invite).slice(INVITE_PREFIX.length)}`)).toMatch(
      /unsupported invite version 2/,
    )
    expect(decodeError(codeOf({ ...invite, v: 2 }))).toMatch(/unsupported invite content version 2/)
  })

  it('says when the invite is damaged', () => {
    expect(decodeError(`${INVITE_PREFIX}abc$%def`)).toMatch(/damaged/)
    expect(decodeError(`${INVITE_PREFIX}${Buffer.from('{"v":1,').toString('base64url')}`)).toMatch(
      /damaged.*not JSON/,
    )
    expect(decodeError(encodeInvite(invite).slice(0, -10))).toMatch(/damaged/)
    expect(decodeError(INVITE_PREFIX + 'A'.repeat(9000))).toMatch(/too long/)
  })

  it('names a missing field', () => {
    const { cloudName: _, ...withoutName } = invite
    expect(decodeError(codeOf(withoutName))).toBe('invalid invite: missing field "cloudName"')
    const { addrs: __, token: ___, ...withoutTwo } = invite
    expect(decodeError(codeOf(withoutTwo))).toMatch(/missing field "token".*missing field "addrs"/)
  })

  it('names a bad field', () => {
    expect(decodeError(codeOf({ ...invite, token: 'short' }))).toMatch(
      /field "token": must be 32 bytes in base64url/,
    )
    expect(decodeError(codeOf({ ...invite, peer: 'nobody' }))).toMatch(/field "peer": is not a peer id/)
    expect(decodeError(codeOf({ ...invite, cloudId: 'XYZ' }))).toMatch(/field "cloudId"/)
    expect(decodeError(codeOf({ ...invite, expiresAt: 'tomorrow' }))).toMatch(/field "expiresAt"/)
    expect(decodeError(codeOf({ ...invite, addrs: [] }))).toMatch(/needs at least one address/)
    expect(decodeError(codeOf([1, 2]))).toMatch(/invalid invite/)
  })

  it('says which address is bad and why', () => {
    const bad = (addr: string) => decodeError(codeOf({ ...invite, addrs: [invite.addrs[0], addr] }))
    expect(bad('not-an-address')).toMatch(/bad address "not-an-address": not a multiaddr/)
    expect(bad('/ip4/10.1.2.3/tcp/7001')).toMatch(/must end with \/p2p\/<peer id>/)
    expect(bad(`/ip4/10.1.2.3/tcp/7001/p2p/${other}`)).toMatch(
      `names peer ${other}, not the inviting peer ${peer}`,
    )
    expect(bad(`/ip4/10.1.2.3/udp/7001/p2p/${peer}`)).toMatch(
      /expected \/ip4\|ip6\|dns\|dns4\|dns6\/<host>\/tcp/,
    )
    expect(bad(`/ip4/10.1.2.3/tcp/1/p2p/${other}/p2p-circuit/p2p/${peer}`)).toMatch(/bad address/)
  })

  it('refuses to encode an invalid invite', () => {
    expect(() => encodeInvite({ ...invite, addrs: ['/ip4/1.2.3.4/tcp/1'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
  })

  it('decodes an expired invite and reports it expired', () => {
    const expired = decodeInvite(encodeInvite({ ...invite, expiresAt: 1000 }))
    expect(isInviteExpired(expired, 999)).toBe(false)
    expect(isInviteExpired(expired, 1000)).toBe(true)
    expect(isInviteExpired(invite, Date.now())).toBe(false)
  })

  it('hashes tokens with a purpose tag', () => {
    const hash = hashInviteToken(invite.token)
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(hashInviteToken(invite.token)).toBe(hash)
    expect(hashInviteToken(`${invite.token}x`)).not.toBe(hash)
    expect(hash).toBe(createHash('sha256').update(`cloudy-invite-token-v1${invite.token}`).digest('hex'))
    expect(hash).not.toBe(createHash('sha256').update(invite.token).digest('hex'))
  })
})
