import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

/**
 * Tahoe-LAFS known-answer data kept next to the repository (../shared): the project's own
 * test_vectors.yaml and share files from a real Tahoe-LAFS 1.20 grid. See the READMEs there.
 */
export const SHARED_TAHOE_DIR = fileURLToPath(new URL('../../../../../shared/', import.meta.url))
export const VECTORS_FILE = `${SHARED_TAHOE_DIR}vectors/tahoe-lafs/test_vectors.yaml`
export const FIXTURES_DIR = `${SHARED_TAHOE_DIR}fixtures/tahoe-lafs/`

function requireFile(path: string): string {
  if (!existsSync(path)) throw new Error(`Tahoe-LAFS known-answer data missing: ${path}`)
  return path
}

/** `seed` repeated and cut to `length` bytes (how vectors and fixtures describe plaintexts). */
export function expandSample(seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  if (length === 0) return out
  out.set(seed.subarray(0, Math.min(seed.length, length)))
  for (let filled = seed.length; filled < length; filled *= 2)
    out.copyWithin(filled, 0, Math.min(filled, length - filled))
  return out
}

export interface ChkVector {
  readonly index: number
  readonly convergence: Uint8Array
  readonly seed: Uint8Array
  readonly length: number
  readonly needed: number
  readonly total: number
  readonly maxSegmentSize: number
  readonly expected: string
}

interface RawVector {
  convergence: string
  expected: string
  format: { kind: string }
  sample: { length: number; seed: string }
  zfec: { required: number; total: number; segmentSize: number }
}

export function loadChkVectors(): ChkVector[] {
  const doc = parse(readFileSync(requireFile(VECTORS_FILE), 'utf8')) as { vector: RawVector[] }
  return doc.vector
    .filter((v) => v.format.kind === 'chk')
    .map((v, index) => ({
      index,
      convergence: Buffer.from(v.convergence, 'base64'),
      seed: Buffer.from(v.sample.seed, 'base64'),
      length: v.sample.length,
      needed: v.zfec.required,
      total: v.zfec.total,
      maxSegmentSize: v.zfec.segmentSize,
      expected: v.expected,
    }))
}

export interface FixtureShare {
  readonly shnum: number
  readonly stored: boolean
  readonly file?: string
  readonly share_data_offset: number
  readonly share_data_length: number
  readonly share_data_sha256: string
}

export interface ChkFixture {
  readonly name: string
  readonly dir: string
  readonly parameters: { k: number; N: number; happy: number; client_max_segment_size: number }
  readonly convergence_secret: { ascii: string; hex: string }
  readonly plaintext: { seed_b64: string; length: number; sha256: string }
  readonly cap: string
  readonly verify_cap: string
  readonly storage_index_base32: string
  readonly shares: readonly FixtureShare[]
}

export function loadChkFixtures(): ChkFixture[] {
  const names = readdirSync(requireFile(FIXTURES_DIR)).filter((name) => name.startsWith('chk-'))
  return names.sort().map((name) => {
    const dir = `${FIXTURES_DIR}${name}/`
    return { ...JSON.parse(readFileSync(`${dir}fixture.json`, 'utf8')), name, dir }
  })
}

export function fixturePlaintext(fixture: ChkFixture): Uint8Array {
  return expandSample(Buffer.from(fixture.plaintext.seed_b64, 'base64'), fixture.plaintext.length)
}

/** The share data (what the client uploaded) inside a stored container file. */
export function fixtureShareData(fixture: ChkFixture, share: FixtureShare): Uint8Array {
  if (!share.file) throw new Error(`share ${share.shnum} of ${fixture.name} is not stored`)
  const container = new Uint8Array(readFileSync(`${fixture.dir}${share.file}`))
  return container.slice(share.share_data_offset, share.share_data_offset + share.share_data_length)
}
