import '../util/polyfill.ts'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'

/**
 * A signed gossip item: the JSON text of the payload and the Ed25519 signature of its UTF-8 bytes by
 * the node named in the payload's `by` field. Relayed byte for byte, so no canonical encoding is
 * needed (docs/membership.md).
 */
export interface Envelope {
  p: string
  s: string
}

/** Every gossip payload names its kind and its signer. */
export interface SignedPayload {
  kind: string
  by: string
}

const encoder = new TextEncoder()

export async function seal(payload: SignedPayload, key: PrivateKey): Promise<Envelope> {
  const p = JSON.stringify(payload)
  const sig = await key.sign(encoder.encode(p))
  return { p, s: Buffer.from(sig).toString('base64') }
}

const publicKeys = new Map<string, ReturnType<typeof peerIdFromString>['publicKey']>()

function publicKeyOf(id: string) {
  let key = publicKeys.get(id)
  if (key === undefined) {
    key = peerIdFromString(id).publicKey
    if (publicKeys.size > 10_000) publicKeys.clear()
    publicKeys.set(id, key)
  }
  return key
}

/** Parses and verifies an envelope; returns undefined when it is malformed or the signature is wrong. */
export async function open(env: unknown): Promise<SignedPayload | undefined> {
  if (typeof env !== 'object' || env === null) return undefined
  const { p, s } = env as Partial<Envelope>
  if (typeof p !== 'string' || typeof s !== 'string' || p.length > 64 * 1024) return undefined
  let payload: unknown
  try {
    payload = JSON.parse(p)
  } catch {
    return undefined
  }
  if (typeof payload !== 'object' || payload === null) return undefined
  const { kind, by } = payload as Partial<SignedPayload>
  if (typeof kind !== 'string' || typeof by !== 'string') return undefined
  try {
    const key = publicKeyOf(by)
    if (key === undefined) return undefined
    const ok = await key.verify(encoder.encode(p), Buffer.from(s, 'base64'))
    return ok ? (payload as SignedPayload) : undefined
  } catch {
    return undefined
  }
}
