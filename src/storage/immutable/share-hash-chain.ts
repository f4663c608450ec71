import type { HashTree } from '../crypto/hash-tree.ts'
import { uncleChain } from '../crypto/hash-tree.ts'
import { pythonSetOrder } from '../util/python-set-order.ts'

/**
 * The share hash chain stored in share `shnum`: the nodes of the share hash tree needed to check
 * that share's block hash tree root against the share root hash in the UEB, including the leaf
 * itself. Readers accept any order; to write Tahoe's exact bytes the entries come in the order
 * Tahoe 1.20 (on CPython 3) writes them, which is a Python set's iteration order and for N <= 16
 * (except 5..8) happens to be ascending.
 */
export function shareHashChain(tree: HashTree, shnum: number): [number, Uint8Array][] {
  const leaf = tree.leafIndex(shnum)
  if (shnum < 0 || shnum >= tree.leafCount)
    throw new RangeError(`no share ${shnum} in a tree of ${tree.leafCount}`)
  return pythonSetOrder([...uncleChain(leaf), leaf]).map((index) => [index, tree.node(index)])
}
