import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'

/** A stored password: scrypt with its parameters and salt, so the cost can grow without breaking old hashes. */
export const PasswordHashSchema = z.object({
  alg: z.literal('scrypt'),
  N: z.number().int().min(2),
  r: z.number().int().min(1),
  p: z.number().int().min(1),
  salt: z.string().min(1),
  hash: z.string().min(1),
})
export type PasswordHash = z.infer<typeof PasswordHashSchema>

/** 2^15 × 8 × 128 bytes = 32 MiB of memory and ~50-100 ms per hash on this class of machine. */
const DEFAULT_PARAMS = { N: 2 ** 15, r: 8, p: 1 }
const KEY_LENGTH = 32

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, DEFAULT_PARAMS)
  return { alg: 'scrypt', ...DEFAULT_PARAMS, salt: salt.toString('base64'), hash: key.toString('base64') }
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64')
  const key = await derive(password, Buffer.from(stored.salt, 'base64'), stored)
  return key.length === expected.length && timingSafeEqual(key, expected)
}

/** Hashes a password nobody has, to spend the same time on an unknown user as on a known one. */
export async function burnPasswordTime(password: string): Promise<void> {
  await derive(password, randomBytes(16), DEFAULT_PARAMS)
}
