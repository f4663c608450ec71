import { readFile } from 'node:fs/promises'
import '../util/polyfill.ts'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { writeFileAtomic } from '../util/atomic-file.ts'
import type { DataDir } from './data-dir.ts'

/** The node's Ed25519 identity: its libp2p key, stored as a protobuf-encoded private key (mode 0600). */
export async function loadIdentity(dataDir: DataDir): Promise<PrivateKey | undefined> {
  try {
    return privateKeyFromProtobuf(await readFile(dataDir.identity))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

export async function loadOrCreateIdentity(dataDir: DataDir): Promise<PrivateKey> {
  const existing = await loadIdentity(dataDir)
  if (existing) return existing
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(dataDir.identity, privateKeyToProtobuf(key))
  return key
}

export function nodeIdOf(key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString()
}
