import { describe, expect, test } from 'vitest'
import { encodeChk } from '../../../../src/storage/immutable/chk-encoder.ts'
import { bytesPlaintextSource } from '../../../../src/storage/immutable/memory-shares.ts'
import type { ShareSink } from '../../../../src/storage/immutable/share-io.ts'
import { expandSample, loadChkVectors } from './tahoe-data.ts'

// Tahoe-LAFS's own known-answer vectors (integration/vectors/test_vectors.yaml): the cap computed
// from the plaintext, convergence secret, k, N and maximum segment size must equal Tahoe's. The cap
// covers the key, the whole encoding (via the UEB hash: share root of all blocks, crypttext hashes)
// and the parameters, so equality proves byte compatibility of every share.
const vectors = loadChkVectors()
const discard: ShareSink = { write: async () => {} }

describe('Tahoe-LAFS CHK test vectors', () => {
  test('there are 120 CHK vectors', () => {
    expect(vectors).toHaveLength(120)
  })

  test.each(
    vectors.map((v) => [
      `#${v.index}: ${v.needed}-of-${v.total}, ${v.length} bytes, max segment ${v.maxSegmentSize}, secret ${Buffer.from(v.convergence).toString('hex').slice(0, 8)}…, seed ${v.seed.length} bytes`,
      v,
    ]),
  )(
    '%s',
    async (_name, v) => {
      const result = await encodeChk(bytesPlaintextSource(expandSample(v.seed, v.length), 1 << 20), discard, {
        convergenceSecret: v.convergence,
        needed: v.needed,
        happy: v.total,
        total: v.total,
        maxSegmentSize: v.maxSegmentSize,
      })
      expect(result.capString).toBe(v.expected)
    },
    60_000,
  ) // 8 MiB at 71-of-255 takes about 8 s with the portable JS coder
})
