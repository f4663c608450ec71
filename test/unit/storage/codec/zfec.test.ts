import { beforeAll, describe, expect, it } from 'vitest'
import { selectKernel } from '../../../../src/storage/codec/kernels.ts'
import { simdSupported } from '../../../../src/storage/codec/wasm-kernel.ts'
import { createZfec } from '../../../../src/storage/codec/zfec.ts'
import { CloudyError } from '../../../../src/util/errors.ts'
import { combinations, randomBlocks, randomSubset, sameBytes, seededRandom } from './codec-fixture.ts'
import { ensureWasmBuilt } from './wasm-build.ts'

const IMPLEMENTATIONS = ['js', 'wasm'] as const

beforeAll(ensureWasmBuilt, 60_000)
const text = (s: string) => new TextEncoder().encode(s)
const range = (start: number, length: number) => Uint8Array.from({ length }, (_, i) => start + i)

/** Decodes from the given block numbers (in the given order) and expects the inputs back. */
function expectDecodes(
  coder: ReturnType<typeof createZfec>,
  blocks: Uint8Array[],
  inputs: Uint8Array[],
  nums: number[],
) {
  const decoded = coder.decode(
    nums.map((i) => blocks[i]!),
    nums,
  )
  expect(decoded.length).toBe(coder.k)
  for (let r = 0; r < coder.k; r++) {
    if (!sameBytes(decoded[r], inputs[r])) {
      throw new Error(`${coder.k}-of-${coder.n} from blocks [${nums}]: input ${r} decoded wrong`)
    }
  }
}

describe('zfec implementation choice', () => {
  it('uses WebAssembly SIMD by default where the runtime has it', () => {
    expect(simdSupported()).toBe(true) // Node 20 has it; the js fallback is tested below on its own
    expect(createZfec(3, 10).implementation).toBe('wasm')
  })

  it('keeps the WebAssembly memory bounded whatever the block size', () => {
    const kernel = selectKernel('wasm')
    const random = seededRandom(9)
    for (const [k, n, length] of [
      [3, 10, 4 << 20],
      [128, 256, 40_000],
      [20, 40, 1 << 20],
    ] as const) {
      const coder = createZfec(k, n, { implementation: 'wasm' })
      const blocks = coder.encode(randomBlocks(random, k, length))
      coder.decode(
        blocks.slice(n - k),
        Array.from({ length: k }, (_, i) => n - k + i),
      )
    }
    // chunks of at most 256 KiB of blocks, plus the nibble tables of up to 128×128 coefficients
    expect(kernel.memoryBytes!()).toBeLessThanOrEqual(1 << 20)
  })
})

for (const implementation of IMPLEMENTATIONS) {
  describe(`zfec coder (${implementation})`, () => {
    const zfec = (k: number, n: number) => createZfec(k, n, { implementation })

    it('uses the implementation asked for', () => {
      expect(zfec(3, 10).implementation).toBe(implementation)
    })

    it('produces the blocks zfec produces for small known inputs', () => {
      const two = zfec(2, 4).encode([text('ab'), text('cd')])
      expect(two.map((b) => new TextDecoder().decode(b))).toEqual(['ab', 'cd', 'en', 'iz'])
      const three = zfec(3, 10).encode([range(0, 5), range(50, 5), range(100, 5)])
      expect(three.slice(3).map((b) => [...b])).toEqual([
        [200, 201, 234, 235, 252],
        [141, 140, 79, 78, 105],
        [7, 6, 162, 163, 228],
        [14, 15, 183, 182, 49],
        [28, 29, 242, 243, 233],
        [56, 57, 217, 216, 229],
        [112, 113, 49, 48, 67],
      ])
    })

    it('exposes the encoding matrix: identity on top, the parity rows zfec uses below', () => {
      const coder = zfec(3, 10)
      const matrix = coder.encodeMatrix
      expect([...matrix.subarray(0, 9)]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1])
      expect([...matrix.subarray(9, 15)]).toEqual([0x0f, 0x08, 0x06, 0x2d, 0x30, 0x1c])
      matrix.fill(0) // a copy: the coder is unaffected
      expect(coder.encodeMatrix[9]).toBe(0x0f)
    })

    it('is systematic: blocks 0..k-1 are the inputs themselves', () => {
      const inputs = randomBlocks(seededRandom(1), 3, 40)
      const blocks = zfec(3, 10).encode(inputs)
      expect(blocks.length).toBe(10)
      for (let i = 0; i < 3; i++) expect(blocks[i]).toBe(inputs[i])
    })

    for (const [k, n] of [
      [3, 10],
      [2, 5],
      [4, 7],
      [1, 1],
      [1, 6],
      [5, 5],
      [6, 9],
    ] as const) {
      it(`decodes ${k}-of-${n} from every subset of ${k} blocks, in any order`, () => {
        const random = seededRandom(k * 1000 + n)
        const inputs = randomBlocks(random, k, 37)
        const coder = zfec(k, n)
        const blocks = coder.encode(inputs)
        for (const nums of combinations(n, k)) {
          expectDecodes(coder, blocks, inputs, nums)
          expectDecodes(coder, blocks, inputs, [...nums].reverse())
        }
      })
    }

    for (const [k, n] of [
      [1, 256],
      [2, 256],
      [128, 256],
      [255, 256],
      [256, 256],
      [200, 255],
    ] as const) {
      it(`round-trips at the edge ${k}-of-${n}`, () => {
        const random = seededRandom(k * 1000 + n)
        const inputs = randomBlocks(random, k, 21)
        const coder = zfec(k, n)
        const blocks = coder.encode(inputs)
        expect(blocks.length).toBe(n)
        expectDecodes(
          coder,
          blocks,
          inputs,
          Array.from({ length: k }, (_, i) => n - 1 - i),
        ) // most parity
        for (let t = 0; t < 3; t++) expectDecodes(coder, blocks, inputs, randomSubset(random, n, k))
      })
    }

    it('round-trips lengths around the vector width and large segments', () => {
      const random = seededRandom(7)
      const coder = zfec(3, 10)
      for (const length of [1, 2, 15, 16, 17, 31, 33, 63, 64, 65, 1000, 4097, 65_537, 349_526]) {
        const inputs = randomBlocks(random, 3, length)
        const blocks = coder.encode(inputs)
        for (const b of blocks) expect(b.length).toBe(length)
        expectDecodes(coder, blocks, inputs, [9, 5, 7])
        expectDecodes(coder, blocks, inputs, [2, 8, 0])
      }
    })

    it('encodes and decodes zero-length blocks', () => {
      const coder = zfec(3, 10)
      const blocks = coder.encode([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)])
      expect(blocks.map((b) => b.length)).toEqual(Array(10).fill(0))
      expect(coder.decode([blocks[4]!, blocks[8]!, blocks[9]!], [4, 8, 9]).map((b) => b.length)).toEqual([
        0, 0, 0,
      ])
    })

    it('encodes into caller buffers the same blocks encode returns', () => {
      const random = seededRandom(11)
      const coder = zfec(4, 9)
      const inputs = randomBlocks(random, 4, 5000)
      const parity = Array.from({ length: 5 }, () => new Uint8Array(5000).fill(0xaa))
      coder.encodeInto(inputs, parity)
      expect(parity).toEqual(coder.encode(inputs).slice(4))
      // parity blocks that are unaligned views into one buffer
      const shared = new Uint8Array(5 * 5000 + 1)
      const views = [0, 1, 2, 3, 4].map((i) => shared.subarray(1 + i * 5000, 1 + (i + 1) * 5000))
      coder.encodeInto(inputs, views)
      expect(views).toEqual(parity)
      // inputs that are views into one larger buffer
      const big = randomBlocks(random, 1, 4 * 777 + 3)[0]!
      const inputViews = [0, 1, 2, 3].map((i) => big.subarray(3 + i * 777, 3 + (i + 1) * 777))
      const copies = inputViews.map((v) => v.slice())
      expect(coder.encode(inputViews)).toEqual(coder.encode(copies))
    })

    it('returns received input blocks as given and does not change its arguments', () => {
      const coder = zfec(3, 10)
      const inputs = randomBlocks(seededRandom(3), 3, 50)
      const saved = inputs.map((b) => b.slice())
      const blocks = coder.encode(inputs)
      const nums = [6, 1, 9]
      const given = nums.map((i) => blocks[i]!)
      const savedGiven = given.map((b) => b.slice())
      const decoded = coder.decode(given, nums)
      expect(decoded[1]).toBe(blocks[1])
      expect(inputs).toEqual(saved)
      expect(given).toEqual(savedGiven)
    })

    it('gives the same blocks when coders of different shapes take turns', () => {
      const random = seededRandom(13)
      const a = zfec(3, 10)
      const b = zfec(5, 8)
      const inputsA = randomBlocks(random, 3, 3000)
      const inputsB = randomBlocks(random, 5, 200_000)
      const first = [a.encode(inputsA), b.encode(inputsB)]
      const same = (x: Uint8Array[], y: Uint8Array[]) =>
        x.length === y.length && x.every((b, i) => sameBytes(b, y[i]))
      for (let t = 0; t < 3; t++) {
        expect(same(b.encode(inputsB), first[1]!)).toBe(true)
        expect(same(a.encode(inputsA), first[0]!)).toBe(true)
        expectDecodes(b, first[1]!, inputsB, [7, 0, 6, 5, 1])
        expectDecodes(a, first[0]!, inputsA, [8, 4, 2])
      }
    })

    it('decodes many subsets in turn with one coder (decoding matrices are cached)', () => {
      const random = seededRandom(5)
      const coder = zfec(5, 12)
      const inputs = randomBlocks(random, 5, 300)
      const blocks = coder.encode(inputs)
      for (let t = 0; t < 200; t++) expectDecodes(coder, blocks, inputs, randomSubset(random, 12, 5))
    })

    describe('rejects bad arguments with a clear error', () => {
      const expectInvalid = (fn: () => unknown, message: RegExp) => {
        let error: unknown
        try {
          fn()
        } catch (err) {
          error = err
        }
        expect(error).toBeInstanceOf(CloudyError)
        expect((error as CloudyError).code).toBe('INVALID_INPUT')
        expect((error as CloudyError).message).toMatch(message)
      }

      it('k and n out of range', () => {
        for (const [k, n] of [
          [0, 3],
          [4, 3],
          [1, 257],
          [2.5, 4],
          [Number.NaN, 4],
          [-1, 2],
        ]) {
          expectInvalid(() => zfec(k!, n!), /1 ≤ k ≤ n ≤ 256/)
        }
      })

      it('an unknown implementation', () => {
        expectInvalid(
          () => createZfec(2, 3, { implementation: 'asm' as 'js' }),
          /unknown zfec implementation/,
        )
      })

      it('wrong inputs to encode', () => {
        const coder = zfec(3, 5)
        const b = () => new Uint8Array(4)
        expectInvalid(() => coder.encode([b(), b()]), /exactly 3 input blocks, got 2/)
        expectInvalid(() => coder.encode([b(), b(), new Uint8Array(5)]), /same length.*input 2 has 5/)
        expectInvalid(
          () => coder.encode([b(), b(), 'abcd' as unknown as Uint8Array]),
          /input 2 is not a Uint8Array/,
        )
        expectInvalid(() => coder.encodeInto([b(), b(), b()], [b()]), /writes 2 parity blocks, got 1/)
        expectInvalid(
          () => coder.encodeInto([b(), b(), b()], [b(), new Uint8Array(3)]),
          /parity block 1 must be/,
        )
        const shared = b()
        expectInvalid(() => coder.encodeInto([shared, b(), b()], [b(), shared]), /parity block 1 overlaps/)
        const twice = b()
        expectInvalid(
          () => coder.encodeInto([b(), b(), b()], [twice, twice]),
          /overlaps another parity block/,
        )
      })

      it('wrong blocks or block numbers to decode', () => {
        const coder = zfec(3, 5)
        const b = () => new Uint8Array(4)
        expectInvalid(() => coder.decode([b(), b()], [0, 1]), /exactly 3 blocks, got 2/)
        expectInvalid(() => coder.decode([b(), b(), b()], [0, 1]), /3 block numbers/)
        expectInvalid(() => coder.decode([b(), b(), b()], [0, 1, 5]), /integers 0..4, got 5/)
        expectInvalid(() => coder.decode([b(), b(), b()], [0, -1, 2]), /got -1/)
        expectInvalid(() => coder.decode([b(), b(), b()], [0, 1.5, 2]), /got 1.5/)
        expectInvalid(() => coder.decode([b(), b(), b()], [4, 1, 4]), /4 is given twice/)
        expectInvalid(() => coder.decode([b(), new Uint8Array(2), b()], [0, 1, 2]), /same length/)
      })
    })
  })
}
