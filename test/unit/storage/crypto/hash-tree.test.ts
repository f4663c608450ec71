import { describe, expect, test } from 'vitest'
import {
  HashTree,
  HashTreeError,
  hashTreeSize,
  IncompleteHashTree,
  roundUpPow2,
  uncleChain,
} from '../../../../src/storage/crypto/hash-tree.ts'
import {
  merkleEmptyLeafHash,
  merkleInternalNodeHash,
  taggedHash,
} from '../../../../src/storage/crypto/hashes.ts'
import { parseShareHeader, splitHashes } from '../../../../src/storage/immutable/share-layout.ts'
import { fixtureShareData, loadChkFixtures } from '../immutable/tahoe-data.ts'

const leaf = (i: number) => taggedHash('test leaf', new Uint8Array([i]))
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leaf(i))

function expectTreeError(fn: () => void, reason: string): void {
  let error: unknown
  try {
    fn()
  } catch (err) {
    error = err
  }
  expect(error).toBeInstanceOf(HashTreeError)
  expect((error as HashTreeError).reason).toBe(reason)
}

describe('complete hash trees', () => {
  test('pad leaves to a power of two with empty-leaf hashes of their index', () => {
    const tree = new HashTree(leaves(3))
    expect(tree.size).toBe(7)
    expect(tree.firstLeafIndex).toBe(3)
    expect(tree.node(6)).toEqual(merkleEmptyLeafHash(3))
    expect(tree.node(1)).toEqual(merkleInternalNodeHash(leaf(0), leaf(1)))
    expect(tree.node(2)).toEqual(merkleInternalNodeHash(leaf(2), merkleEmptyLeafHash(3)))
    expect(tree.root).toEqual(merkleInternalNodeHash(tree.node(1), tree.node(2)))
    expect(tree.toBytes()).toHaveLength(7 * 32)
  })

  test('a tree of one leaf is that leaf', () => {
    const tree = new HashTree([leaf(9)])
    expect(tree.size).toBe(1)
    expect(tree.root).toEqual(leaf(9))
    expect(tree.neededHashes(0, true)).toEqual([0])
    expect(tree.neededHashes(0)).toEqual([])
  })

  test('needed hashes are the uncle chain of a leaf (plus the leaf on request)', () => {
    const tree = new HashTree(leaves(10))
    expect(tree.size).toBe(31)
    expect(tree.neededHashes(0)).toEqual([2, 4, 8, 16])
    expect(tree.neededHashes(0, true)).toEqual([2, 4, 8, 15, 16])
    expect(tree.neededHashes(9, true)).toEqual([1, 6, 12, 23, 24])
    expect(uncleChain(24)).toEqual([23, 12, 6, 1])
    expect(roundUpPow2(0)).toBe(1)
    expect(hashTreeSize(8)).toBe(15)
    expect(hashTreeSize(9)).toBe(31)
  })

  test('rebuild the crypttext and block hash trees stored in a real Tahoe share (8 segments)', () => {
    const fixture = loadChkFixtures().find((f) => f.name === 'chk-seg128KiB-len1048577')!
    const share = fixtureShareData(fixture, fixture.shares.find((s) => s.stored)!)
    const { offsets } = parseShareHeader(share)
    for (const [from, to] of [
      [offsets.crypttextHashTree, offsets.blockHashes],
      [offsets.blockHashes, offsets.shareHashes],
    ] as const) {
      const stored = splitHashes(share.subarray(from, to))
      expect(stored).toHaveLength(15)
      const rebuilt = new HashTree(stored.slice(7))
      expect(rebuilt.nodes).toEqual(stored)
    }
  })
})

describe('incomplete hash trees check received hashes', () => {
  const full = new HashTree(leaves(5))
  const withRoot = () => {
    const tree = new IncompleteHashTree(5)
    tree.setHashes(new Map([[0, full.root]]))
    return tree
  }
  const chain = (leafNumber: number) =>
    new Map(full.neededHashes(leafNumber, true).map((i) => [i, full.node(i)] as [number, Uint8Array]))

  test('accept a leaf with its uncle chain and then ask only for what they lack', () => {
    const tree = withRoot()
    expect(tree.neededHashes(0, true)).toEqual([2, 4, 7, 8])
    tree.setHashes(chain(0))
    expect(tree.leaf(0)).toEqual(leaf(0))
    expect(tree.neededHashes(1, true)).toEqual([])
    expect(tree.neededHashes(2, true)).toEqual([9, 10])
    tree.setHashes(new Map([[10, full.node(10)]]), new Map([[2, leaf(2)]]))
    expect(tree.leaf(2)).toEqual(leaf(2))
  })

  test('refuse a wrong leaf and stay unchanged', () => {
    const tree = withRoot()
    const hashes = chain(3)
    hashes.delete(tree.leafIndex(3))
    expectTreeError(() => tree.setHashes(hashes, new Map([[3, leaf(4)]])), 'bad-hash')
    expect(tree.get(tree.leafIndex(3))).toBeUndefined()
    expect(tree.get(1)).toBeUndefined()
    tree.setHashes(hashes, new Map([[3, leaf(3)]]))
    expect(tree.leaf(3)).toEqual(leaf(3))
  })

  test('refuse a corrupted uncle', () => {
    const tree = withRoot()
    const hashes = chain(0)
    hashes.set(2, leaf(99))
    expectTreeError(() => tree.setHashes(hashes), 'bad-hash')
  })

  test('refuse hashes that cannot be checked for lack of a sibling', () => {
    const tree = withRoot()
    expectTreeError(() => tree.setHashes(new Map([[7, leaf(0)]])), 'not-enough-hashes')
  })

  test('refuse node numbers outside the tree and conflicting duplicates', () => {
    const tree = withRoot()
    expectTreeError(() => tree.setHashes(new Map([[15, leaf(0)]])), 'out-of-range')
    expectTreeError(() => tree.setHashes(new Map([[7, leaf(1)]]), new Map([[0, leaf(0)]])), 'bad-hash')
  })

  test('accept a whole stored tree at once, and refuse it with any node changed', () => {
    const all = new Map(full.nodes.map((hash, i) => [i, hash] as [number, Uint8Array]))
    withRoot().setHashes(all)
    for (const i of [1, 6, 12, 14]) {
      const bad = new Map(all)
      bad.set(i, leaf(50))
      expectTreeError(() => withRoot().setHashes(bad), 'bad-hash')
    }
  })
})
