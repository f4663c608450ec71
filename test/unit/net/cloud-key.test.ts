import { createHash } from 'node:crypto'
import { preSharedKey } from '@libp2p/pnet'
import { describe, expect, it } from 'vitest'
import {
  cloudKeyFingerprint,
  decodeCloudKey,
  encodeCloudKey,
  generateCloudKey,
  newCloudId,
  validateCloudKey,
} from '../../../src/net/cloud-key.ts'

const text = (key: Uint8Array) => new TextDecoder().decode(key)
const bytes = (s: string) => new TextEncoder().encode(s)

describe('cloud key', () => {
  it('is a 95-byte libp2p swarm key that pnet accepts', () => {
    const key = generateCloudKey()
    expect(key.byteLength).toBe(95)
    expect(text(key)).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    expect(() => preSharedKey({ psk: key })()).not.toThrow()
    expect(text(generateCloudKey())).not.toBe(text(key))
  })

  it('round-trips through base64 text', () => {
    const key = generateCloudKey()
    const stored = encodeCloudKey(key)
    expect(stored).toBe(Buffer.from(key).toString('base64'))
    expect(decodeCloudKey(stored)).toEqual(key)
    expect(decodeCloudKey(`${stored}\n`)).toEqual(key)
  })

  it('accepts a swarm key file with a trailing newline and returns the canonical form', () => {
    const key = generateCloudKey()
    expect(validateCloudKey(bytes(`${text(key)}\n`))).toEqual(key)
  })

  it('rejects malformed keys with INVALID_INPUT', () => {
    const good = text(generateCloudKey())
    const bad = [
      '',
      'not base64 at all!',
      Buffer.from('hello').toString('base64'),
      Buffer.from(good.replace('/base16/', '/base64/')).toString('base64'),
      Buffer.from(good.slice(0, -2)).toString('base64'),
      Buffer.from(good.toUpperCase()).toString('base64'),
      Buffer.from([0xff, 0xfe, 0x00]).toString('base64'),
    ]
    for (const b of bad)
      expect(() => decodeCloudKey(b), b).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => encodeCloudKey(bytes('nope'))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })

  it('never puts the key into error messages', () => {
    const secret = text(generateCloudKey()).slice(-64)
    try {
      validateCloudKey(bytes(`/key/swarm/psk/1.0.0/\n/base16/\n${secret}00`))
    } catch (err) {
      expect((err as Error).message).not.toContain(secret)
      return
    }
    throw new Error('accepted a key of 33 bytes')
  })

  it('has a 16-hex-digit fingerprint over a tagged hash of the secret bytes', () => {
    const key = generateCloudKey()
    const secret = Buffer.from(text(key).slice(-64), 'hex')
    const expected = createHash('sha256')
      .update('cloudy-cloud-key-fingerprint-v1')
      .update(secret)
      .digest('hex')
      .slice(0, 16)
    expect(cloudKeyFingerprint(key)).toBe(expected)
    expect(cloudKeyFingerprint(bytes(`${text(key)}\n`))).toBe(expected)
    expect(cloudKeyFingerprint(generateCloudKey())).not.toBe(expected)
  })

  it('makes random 16-hex-digit cloud ids', () => {
    const id = newCloudId()
    expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(newCloudId()).not.toBe(id)
  })
})
