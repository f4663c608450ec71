import { IncompleteHashTree } from '../crypto/hash-tree.ts'
import { hashesEqual, uriExtensionHash } from '../crypto/hashes.ts'
import { storageError } from '../util/storage-error.ts'
import { type ChkGeometry, chkGeometry } from './chk-geometry.ts'
import { ShareRejectedError } from './share-problem.ts'
import { type CodecParams, parseUriExtension, type UriExtension } from './uri-extension.ts'

/** What a reader of a CHK file trusts from its cap (read cap or verify cap). */
export interface ChkCapInfo {
  readonly uebHash: Uint8Array
  readonly needed: number
  readonly total: number
  readonly size: number
}

/**
 * What the shares of one CHK file have in common once checked: the URI extension block (verified
 * against the cap's UEB hash), the geometry it implies, and the share and crypttext hash trees
 * rooted in it. Shared by the share readers of one download.
 */
export class ChkFileState {
  readonly cap: ChkCapInfo
  #ueb: UriExtension | undefined
  #geometry: ChkGeometry | undefined
  #shareTree: IncompleteHashTree | undefined
  #crypttextTree: IncompleteHashTree | undefined

  constructor(cap: ChkCapInfo) {
    this.cap = cap
  }

  get ueb(): UriExtension {
    if (!this.#ueb) throw new Error('no verified URI extension block yet')
    return this.#ueb
  }

  get geometry(): ChkGeometry {
    if (!this.#geometry) throw new Error('no verified URI extension block yet')
    return this.#geometry
  }

  get shareTree(): IncompleteHashTree {
    if (!this.#shareTree) throw new Error('no verified URI extension block yet')
    return this.#shareTree
  }

  get crypttextTree(): IncompleteHashTree {
    if (!this.#crypttextTree) throw new Error('no verified URI extension block yet')
    return this.#crypttextTree
  }

  get hasUeb(): boolean {
    return this.#ueb !== undefined
  }

  /**
   * Checks UEB bytes read from share `shnum`: a hash mismatch rejects that share; a UEB that hashes
   * right but contradicts the cap is fatal for the whole file (the uploader made a broken file).
   */
  acceptUeb(bytes: Uint8Array, shnum: number): void {
    if (!hashesEqual(uriExtensionHash(bytes), this.cap.uebHash)) {
      throw new ShareRejectedError(
        shnum,
        'uri-extension',
        'URI extension block does not match the hash in the cap',
      )
    }
    if (this.#ueb) return
    let ueb: UriExtension
    try {
      ueb = parseUriExtension(bytes)
    } catch (err) {
      throw storageError(
        'CORRUPT_SHARE',
        `the file's URI extension block (authentic per the cap) cannot be parsed: ${(err as Error).message}`,
        {},
        err,
      )
    }
    const geometry = checkUriExtension(ueb, this.cap)
    this.#ueb = ueb
    this.#geometry = geometry
    this.#shareTree = new IncompleteHashTree(this.cap.total)
    this.#shareTree.setHashes(new Map([[0, ueb.shareRootHash]]))
    this.#crypttextTree = new IncompleteHashTree(geometry.numSegments)
    this.#crypttextTree.setHashes(new Map([[0, ueb.crypttextRootHash]]))
  }
}

function sameParams(a: CodecParams, b: CodecParams): boolean {
  return a.segmentSize === b.segmentSize && a.needed === b.needed && a.total === b.total
}

/**
 * Checks that an authentic UEB agrees with the cap and with itself, and returns the file geometry.
 * Tahoe's downloader uses only segment_size and trusts the cap for the rest; a UEB that disagrees
 * can only come from a broken or malicious uploader, so it is refused (CORRUPT_SHARE, fatal).
 */
export function checkUriExtension(ueb: UriExtension, cap: ChkCapInfo): ChkGeometry {
  const fail = (what: string) =>
    storageError('CORRUPT_SHARE', `the file's URI extension block is inconsistent: ${what}`, { field: what })
  if (ueb.codecName !== 'crs') throw fail(`codec "${ueb.codecName}" is not "crs"`)
  if (ueb.size !== cap.size) throw fail(`size ${ueb.size} differs from the cap's ${cap.size}`)
  if (ueb.neededShares !== cap.needed || ueb.totalShares !== cap.total) {
    throw fail(
      `shares ${ueb.neededShares}-of-${ueb.totalShares} differ from the cap's ${cap.needed}-of-${cap.total}`,
    )
  }
  let geometry: ChkGeometry
  try {
    geometry = chkGeometry(cap.size, cap.needed, cap.total, ueb.segmentSize)
  } catch (err) {
    throw fail((err as Error).message)
  }
  if (ueb.numSegments !== geometry.numSegments) {
    throw fail(`num_segments ${ueb.numSegments}, expected ${geometry.numSegments}`)
  }
  if (
    !sameParams(ueb.codecParams, { segmentSize: geometry.segmentSize, needed: cap.needed, total: cap.total })
  ) {
    throw fail('codec_params')
  }
  if (
    !sameParams(ueb.tailCodecParams, {
      segmentSize: geometry.paddedTailSize,
      needed: cap.needed,
      total: cap.total,
    })
  ) {
    throw fail('tail_codec_params')
  }
  return geometry
}
