import { storageError } from '../util/storage-error.ts'

/** Tahoe 1.20's default maximum segment size (interfaces.DEFAULT_IMMUTABLE_MAX_SEGMENT_SIZE). */
export const DEFAULT_MAX_SEGMENT_SIZE = 1024 * 1024

/**
 * How a CHK file of `size` bytes is cut (Tahoe's upload.py, encode.py and downloader/node.py
 * `_calculate_sizes`): segments of `segmentSize` bytes, a multiple of k; the last ("tail") segment
 * holds the rest and is padded with zeros to a multiple of k before erasure coding. Each segment
 * becomes N blocks of segmentSize / k bytes (the tail: paddedTailSize / k).
 */
export interface ChkGeometry {
  readonly size: number
  readonly needed: number
  readonly total: number
  readonly segmentSize: number
  readonly numSegments: number
  /** plaintext bytes in the last segment (1..segmentSize) */
  readonly tailSize: number
  /** the last segment padded to a multiple of k */
  readonly paddedTailSize: number
  readonly blockSize: number
  readonly tailBlockSize: number
  /** bytes of blocks in each share: (numSegments - 1) * blockSize + tailBlockSize = ceil(size / k) */
  readonly shareDataSize: number
}

export function nextMultiple(n: number, k: number): number {
  return Math.ceil(n / k) * k
}

/** The real segment size Tahoe uses: next_multiple(min(maxSegmentSize, size), k). */
export function chkSegmentSize(size: number, needed: number, maxSegmentSize: number): number {
  return nextMultiple(Math.min(maxSegmentSize, size), needed)
}

function check(condition: boolean, message: string): void {
  if (!condition) throw storageError('INVALID_FORMAT', message)
}

/** The geometry of a file with the given size, k, N and real segment size. */
export function chkGeometry(size: number, needed: number, total: number, segmentSize: number): ChkGeometry {
  check(Number.isSafeInteger(size) && size > 0, `a CHK file has at least 1 byte, got ${size}`)
  check(
    Number.isInteger(needed) && Number.isInteger(total) && needed >= 1 && needed <= total && total <= 256,
    `CHK needs 1 <= k <= N <= 256, got k=${needed} N=${total}`,
  )
  check(
    Number.isSafeInteger(segmentSize) && segmentSize > 0 && segmentSize % needed === 0,
    `segment size ${segmentSize} must be a positive multiple of k=${needed}`,
  )
  const numSegments = Math.ceil(size / segmentSize)
  const tailSize = size - (numSegments - 1) * segmentSize
  const paddedTailSize = nextMultiple(tailSize, needed)
  const blockSize = segmentSize / needed
  const tailBlockSize = paddedTailSize / needed
  return {
    size,
    needed,
    total,
    segmentSize,
    numSegments,
    tailSize,
    paddedTailSize,
    blockSize,
    tailBlockSize,
    shareDataSize: (numSegments - 1) * blockSize + tailBlockSize,
  }
}

/** Byte range [start, end) of segment `segment` in the file. */
export function segmentRange(geometry: ChkGeometry, segment: number): { start: number; end: number } {
  const start = segment * geometry.segmentSize
  return { start, end: Math.min(geometry.size, start + geometry.segmentSize) }
}
