import { statfs } from 'node:fs/promises'

/** Free bytes on the disk holding `path` for an unprivileged user. */
export type DiskFree = (path: string) => Promise<number>

export const diskFree: DiskFree = async (path) => {
  const s = await statfs(path)
  return s.bavail * s.bsize
}

export interface SpaceLimits {
  /** bytes of share files this server may hold (undefined: as much as the disk allows) */
  capacity?: number | undefined
  /** bytes to leave free on the disk */
  reservedSpace?: number | undefined
}

/**
 * What the shares use and what may still be allocated: the lesser of the capacity left and the
 * disk's free space above the reservation, minus what in-progress uploads have been promised (all
 * of it, even the part already on disk: conservative, like Tahoe).
 */
export class SpaceAccounting {
  readonly #limits: SpaceLimits
  readonly #path: string
  readonly #diskFree: DiskFree
  #bytesUsed = 0
  #shareCount = 0
  #promised = 0

  constructor(limits: SpaceLimits, path: string, free: DiskFree) {
    this.#limits = limits
    this.#path = path
    this.#diskFree = free
  }

  get bytesUsed(): number {
    return this.#bytesUsed
  }

  get shareCount(): number {
    return this.#shareCount
  }

  /** Bytes promised to uploads in progress. */
  get promised(): number {
    return this.#promised
  }

  get capacity(): number | undefined {
    return this.#limits.capacity
  }

  get reservedSpace(): number {
    return this.#limits.reservedSpace ?? 0
  }

  setInitial(shares: number, bytes: number): void {
    this.#shareCount = shares
    this.#bytesUsed = bytes
  }

  async available(): Promise<number> {
    const disk = (await this.#diskFree(this.#path)) - this.reservedSpace
    const cap =
      this.#limits.capacity === undefined ? Number.POSITIVE_INFINITY : this.#limits.capacity - this.#bytesUsed
    return Math.max(0, Math.floor(Math.min(disk, cap) - this.#promised))
  }

  promise(bytes: number): void {
    this.#promised += bytes
  }

  release(bytes: number): void {
    this.#promised = Math.max(0, this.#promised - bytes)
  }

  shareAdded(bytes: number): void {
    this.#shareCount++
    this.#bytesUsed += bytes
  }

  shareRemoved(bytes: number): void {
    this.#shareCount = Math.max(0, this.#shareCount - 1)
    this.#bytesUsed = Math.max(0, this.#bytesUsed - bytes)
  }

  shareResized(delta: number): void {
    this.#bytesUsed = Math.max(0, this.#bytesUsed + delta)
  }
}
