import 'reflect-metadata'
import { createHash, webcrypto, X509Certificate } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'
import { writeFileAtomic } from '../../util/atomic-file.ts'

/**
 * The server's TLS identity: a self-signed certificate made once and kept with its key in the
 * storage directory (`certificate.pem`, `private/certificate-key.pem`). Its SPKI hash is the
 * server's identity in the NURL; clients pin it and check no certificate authority.
 */
export interface TlsIdentity {
  certificatePem: string
  privateKeyPem: string
  /** unpadded base64url SHA-256 of the certificate's SubjectPublicKeyInfo (DER) */
  spkiHash: string
}

const VALIDITY_YEARS = 100

/** Tahoe's get_spki_hash: base64url (no padding) of SHA-256 over the DER SubjectPublicKeyInfo. */
export function spkiHash(certificate: X509Certificate): string {
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(spki).digest('base64url')
}

export async function createTlsIdentity(commonName = 'cloudy-storage'): Promise<TlsIdentity> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto)
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair
  const notBefore = new Date(Date.now() - 24 * 60 * 60 * 1000)
  const notAfter = new Date(notBefore)
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS)
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
  serial[0] = (serial[0] as number) & 0x7f // positive
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys,
  })
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)
  const certificatePem = cert.toString('pem')
  const privateKeyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')
  return { certificatePem, privateKeyPem, spkiHash: spkiHash(new X509Certificate(certificatePem)) }
}

/** Loads the identity kept in `directory`, or makes and keeps one. */
export async function loadOrCreateTlsIdentity(directory: string): Promise<TlsIdentity> {
  const certFile = join(directory, 'certificate.pem')
  const keyFile = join(directory, 'private', 'certificate-key.pem')
  try {
    const [certificatePem, privateKeyPem] = await Promise.all([
      readFile(certFile, 'utf8'),
      readFile(keyFile, 'utf8'),
    ])
    return { certificatePem, privateKeyPem, spkiHash: spkiHash(new X509Certificate(certificatePem)) }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const identity = await createTlsIdentity()
  await mkdir(join(directory, 'private'), { recursive: true, mode: 0o700 })
  await writeFileAtomic(keyFile, identity.privateKeyPem, 0o600)
  await writeFileAtomic(certFile, identity.certificatePem, 0o644)
  return identity
}
