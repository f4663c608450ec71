import { HASH_SIZE, hashesEqual, merkleEmptyLeafHash, merkleInternalNodeHash } from './hashes.ts'

/**
 * Tahoe-LAFS Merkle trees (allmydata/hashtree.py): a complete binary tree stored as an array, root at
 * index 0, children of i at 2i+1 and 2i+2. The leaves are padded up to a power of two with "empty
 * leaf" hashes of their leaf index; interior nodes hash their two children with the internal-node
 * tag. A tree of one leaf is that leaf. Block hash trees, the crypttext hash tree and the share
 * hash tree of a CHK file are all of this kind.
 */

/** The smallest power of two >= n (1 for n <= 1). */
export function roundUpPow2(n: number): number {
  let x = 1
  while (x < n) x *= 2
  return x
}

/** Number of nodes of a tree over `leafCount` leaves. */
export function hashTreeSize(leafCount: number): number {
  return 2 * roundUpPow2(leafCount) - 1
}

export function parentIndex(i: number): number {
  if (i < 1) throw new RangeError(`node ${i} has no parent`)
  return (i - 1) >> 1
}

export function siblingIndex(i: number): number {
  if (i < 1) throw new RangeError(`node ${i} has no sibling`)
  return i % 2 === 1 ? i + 1 : i - 1
}

/** Depth of node i (root 0). */
export function depthOf(i: number): number {
  return Math.floor(Math.log2(i + 1) + 1e-9)
}

/** The siblings on the path from node i up to (not including) the root, deepest first. */
export function uncleChain(i: number): number[] {
  const chain: number[] = []
  for (let here = i; here !== 0; here = parentIndex(here)) chain.push(siblingIndex(here))
  return chain
}

export class HashTree {
  /** every node in index order (this is how block and crypttext hash trees are stored in shares) */
  readonly nodes: readonly Uint8Array[]
  /** number of real (unpadded) leaves */
  readonly leafCount: number
  readonly firstLeafIndex: number

  constructor(leaves: readonly Uint8Array[]) {
    const width = roundUpPow2(leaves.length)
    const row: Uint8Array[] = [...leaves]
    for (let i = leaves.length; i < width; i++) row.push(merkleEmptyLeafHash(i))
    const rows: Uint8Array[][] = [row]
    for (let last = row; last.length > 1; ) {
      const next: Uint8Array[] = []
      for (let i = 0; i < last.length; i += 2) next.push(merkleInternalNodeHash(last[i]!, last[i + 1]!))
      rows.push(next)
      last = next
    }
    this.nodes = rows.reverse().flat()
    this.leafCount = leaves.length
    this.firstLeafIndex = width - 1
  }

  get root(): Uint8Array {
    return this.nodes[0]!
  }

  get size(): number {
    return this.nodes.length
  }

  node(i: number): Uint8Array {
    const hash = this.nodes[i]
    if (hash === undefined) throw new RangeError(`hash tree of ${this.nodes.length} nodes has no node ${i}`)
    return hash
  }

  leafIndex(leaf: number): number {
    return this.firstLeafIndex + leaf
  }

  /**
   * Node indexes someone holding leaf `leaf` needs to check it against the root: the uncle chain,
   * plus the leaf itself with `includeLeaf`. Ascending; never the root.
   */
  neededHashes(leaf: number, includeLeaf = false): number[] {
    const index = this.leafIndex(leaf)
    if (leaf < 0 || index >= this.nodes.length) throw new RangeError(`hash tree has no leaf ${leaf}`)
    const needed = uncleChain(index)
    if (includeLeaf) needed.push(index)
    return needed.sort((a, b) => a - b)
  }

  /** All nodes concatenated (32 bytes each). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.nodes.length * HASH_SIZE)
    this.nodes.forEach((hash, i) => {
      out.set(hash, i * HASH_SIZE)
    })
    return out
  }
}

export type HashTreeFailure = 'bad-hash' | 'not-enough-hashes' | 'out-of-range'

/** A set of received hashes that does not check out against what the tree already trusts. */
export class HashTreeError extends Error {
  override readonly name = 'HashTreeError'
  readonly reason: HashTreeFailure
  readonly index: number

  constructor(reason: HashTreeFailure, index: number, message: string) {
    super(message)
    this.reason = reason
    this.index = index
  }
}

/**
 * A tree that fills up with hashes from untrusted sources as they are checked (Tahoe's
 * IncompleteHashTree). Set the root from a trusted source first; every later setHashes() call must
 * prove each new hash up to an already known node, or it changes nothing and throws HashTreeError.
 */
export class IncompleteHashTree {
  readonly #nodes: (Uint8Array | undefined)[]
  readonly leafCount: number
  readonly firstLeafIndex: number

  constructor(leafCount: number) {
    const width = roundUpPow2(leafCount)
    this.#nodes = new Array(2 * width - 1).fill(undefined)
    this.leafCount = leafCount
    this.firstLeafIndex = width - 1
  }

  get size(): number {
    return this.#nodes.length
  }

  get(i: number): Uint8Array | undefined {
    return this.#nodes[i]
  }

  leafIndex(leaf: number): number {
    return this.firstLeafIndex + leaf
  }

  /** The verified hash of leaf `leaf`, if it has been set. */
  leaf(leaf: number): Uint8Array | undefined {
    return this.#nodes[this.leafIndex(leaf)]
  }

  /** Like HashTree.neededHashes, minus the nodes already known. */
  neededHashes(leaf: number, includeLeaf = false): number[] {
    const index = this.leafIndex(leaf)
    if (leaf < 0 || index >= this.#nodes.length) throw new RangeError(`hash tree has no leaf ${leaf}`)
    const needed = uncleChain(index)
    if (includeLeaf) needed.push(index)
    return needed.filter((i) => this.#nodes[i] === undefined).sort((a, b) => a - b)
  }

  /**
   * Adds `hashes` (by node index) and `leaves` (by leaf number) and checks every added node up to a
   * known ancestor. All or nothing: on failure the tree is unchanged.
   */
  setHashes(
    hashes: ReadonlyMap<number, Uint8Array> = new Map(),
    leaves: ReadonlyMap<number, Uint8Array> = new Map(),
  ): void {
    const incoming = new Map(hashes)
    for (const [leaf, hash] of leaves) {
      const index = this.leafIndex(leaf)
      if (leaf < 0 || index >= this.#nodes.length) {
        throw new HashTreeError('out-of-range', index, `leaf ${leaf} is outside a tree of ${this.leafCount}`)
      }
      const given = incoming.get(index)
      if (given !== undefined && !hashesEqual(given, hash)) {
        throw new HashTreeError('bad-hash', index, `conflicting hashes given for leaf ${leaf}`)
      }
      incoming.set(index, hash)
    }
    const added: number[] = []
    try {
      const depth = depthOf(this.#nodes.length - 1)
      const toCheck: Set<number>[] = Array.from({ length: depth + 1 }, () => new Set<number>())
      for (const [i, hash] of incoming) {
        if (!Number.isInteger(i) || i < 0 || i >= this.#nodes.length) {
          throw new HashTreeError('out-of-range', i, `node ${i} is outside a tree of ${this.#nodes.length}`)
        }
        if (hash.length !== HASH_SIZE) {
          throw new HashTreeError('bad-hash', i, `node ${i} is ${hash.length} bytes, not ${HASH_SIZE}`)
        }
        const known = this.#nodes[i]
        if (known !== undefined) {
          if (!hashesEqual(known, hash))
            throw new HashTreeError('bad-hash', i, `node ${i} differs from the known one`)
          continue
        }
        this.#nodes[i] = hash
        added.push(i)
        toCheck[depthOf(i)]!.add(i)
      }
      for (let level = depth; level > 0; level--) {
        const pending = toCheck[level]!
        for (const i of pending) {
          pending.delete(i)
          const sibling = siblingIndex(i)
          const siblingHash = this.#nodes[sibling]
          if (siblingHash === undefined) {
            throw new HashTreeError(
              'not-enough-hashes',
              i,
              `cannot check node ${i}: sibling ${sibling} unknown`,
            )
          }
          const [left, right] = i < sibling ? [this.#nodes[i]!, siblingHash] : [siblingHash, this.#nodes[i]!]
          const parent = parentIndex(i)
          const computed = merkleInternalNodeHash(left, right)
          const known = this.#nodes[parent]
          if (known !== undefined) {
            if (!hashesEqual(known, computed)) {
              throw new HashTreeError(
                'bad-hash',
                parent,
                `hash of nodes ${Math.min(i, sibling)} and ${Math.max(i, sibling)} does not match node ${parent}`,
              )
            }
          } else {
            this.#nodes[parent] = computed
            added.push(parent)
            toCheck[level - 1]!.add(parent)
          }
          pending.delete(sibling)
        }
      }
    } catch (err) {
      for (const i of added) this.#nodes[i] = undefined
      throw err
    }
  }
}
