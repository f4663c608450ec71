import type { ChkCap } from '../caps/chk-cap.ts'
import type { ChkVerifyCap } from '../caps/chk-verify-cap.ts'
import { HashTreeError, hashTreeSize, IncompleteHashTree } from '../crypto/hash-tree.ts'
import { blockHash, HASH_SIZE, hashesEqual } from '../crypto/hashes.ts'
import { ChkFileState } from './chk-file-state.ts'
import { ChkShareReader } from './chk-share-reader.ts'
import type { IoOptions, ShareSource } from './share-io.ts'
import { splitHashes } from './share-layout.ts'
import { type ShareProblem, ShareRejectedError } from './share-problem.ts'

export interface ShareVerifyResult {
  readonly shnum: number
  readonly name?: string
  readonly ok: boolean
  /** the first problem found, when not ok */
  readonly problem?: ShareProblem
}

function fail(tree: IncompleteHashTree, nodes: Uint8Array[]): string | undefined {
  try {
    tree.setHashes(new Map(nodes.map((hash, i) => [i, hash])))
    return undefined
  } catch (err) {
    if (!(err instanceof HashTreeError)) throw err
    return err.message
  }
}

/**
 * Checks every hash of one share without decoding (what Tahoe's verifier does for a share): the
 * header, the UEB against the cap, the share hash chain against the share root, the whole stored
 * block hash tree against the share's leaf, every block against its hash, and the whole stored
 * crypttext hash tree against the crypttext root. Works with a verify cap. Reads one block at a
 * time. Problems are returned, not thrown; a UEB that is authentic but inconsistent with the cap
 * (a broken file, not a broken share) and aborts are thrown.
 */
export async function verifyChkShare(
  cap: ChkCap | ChkVerifyCap,
  source: ShareSource,
  options: IoOptions = {},
): Promise<ShareVerifyResult> {
  const name = source.name
  const base = { shnum: source.shnum, ...(name !== undefined ? { name } : {}) }
  const file = new ChkFileState(cap)
  const reader = new ChkShareReader(source, file, options)
  try {
    await reader.open()
    const geometry = file.geometry
    const { offsets } = reader.header
    const treeBytes = hashTreeSize(geometry.numSegments) * HASH_SIZE

    const blockNodes = splitHashes(await reader.read(offsets.blockHashes, treeBytes, 'block-hashes'))
    const blockTree = new IncompleteHashTree(geometry.numSegments)
    blockTree.setHashes(new Map([[0, file.shareTree.leaf(source.shnum)!]]))
    const blockProblem = fail(blockTree, blockNodes)
    if (blockProblem) throw new ShareRejectedError(source.shnum, 'block-hashes', blockProblem)

    for (let segment = 0; segment < geometry.numSegments; segment++) {
      options.signal?.throwIfAborted()
      const length = segment === geometry.numSegments - 1 ? geometry.tailBlockSize : geometry.blockSize
      const block = await reader.read(offsets.data + segment * geometry.blockSize, length, 'block', segment)
      if (!hashesEqual(blockHash(block), blockTree.leaf(segment)!)) {
        throw new ShareRejectedError(
          source.shnum,
          'block',
          `block ${segment} does not match its hash`,
          segment,
        )
      }
    }

    const crypttextNodes = splitHashes(
      await reader.read(offsets.crypttextHashTree, treeBytes, 'crypttext-hashes'),
    )
    const crypttextProblem = fail(file.crypttextTree, crypttextNodes)
    if (crypttextProblem) throw new ShareRejectedError(source.shnum, 'crypttext-hashes', crypttextProblem)
    return { ...base, ok: true }
  } catch (err) {
    if (!(err instanceof ShareRejectedError)) throw err
    return { ...base, ok: false, problem: err.toProblem(name) }
  }
}
