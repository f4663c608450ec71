import { open } from 'node:fs/promises'
import { removeIfEmpty, unlinkDurable } from './durable-fs.ts'
import { isImmutableContainerHeader } from './immutable-container.ts'
import { CLIENT_LEASE_OWNER, constantTimeEqual } from './lease.ts'
import { MutableShareFile, newMutableContainer, writeEnablerMatches } from './mutable-container.ts'
import {
  commitRewrite,
  discardRewrite,
  type PreparedRewrite,
  prepareMutableRewrite,
} from './mutable-rewrite.ts'
import { readAt } from './random-access-file.ts'
import type { SpaceAccounting } from './space-accounting.ts'
import { bucketPath, type StorageLayout, shareFilesIn, sharePath } from './storage-layout.ts'
import { storageServerError, storageServerErrorKind } from './storage-server-error.ts'
import type { ReadTestWriteResult, ReadVector, SlotSecrets, TestWriteVectors } from './types.ts'

export interface SlotContext {
  layout: StorageLayout
  nodeId: Uint8Array
  space: SpaceAccounting
  /** lease expiry for a lease made or renewed now (Unix seconds) */
  leaseExpiry: () => number
}

export interface SlotChange {
  shareNumber: number
  change: 'stored' | 'deleted'
  /** container bytes after the change (0 when deleted) */
  size: number
  /** container bytes before (0 when new) */
  previousSize: number
}

/** Opens the mutable shares of a slot; WRONG_SHARE_KIND when it holds immutable shares. */
async function openSlot(layout: StorageLayout, si: string): Promise<Map<number, MutableShareFile>> {
  const shares = new Map<number, MutableShareFile>()
  try {
    for (const n of await shareFilesIn(bucketPath(layout, si))) {
      const path = sharePath(layout, si, n)
      try {
        shares.set(n, await MutableShareFile.open(path))
      } catch (err) {
        if (storageServerErrorKind(err) !== 'CORRUPT_CONTAINER') throw err
        const h = await open(path, 'r')
        const first = await readAt(h, 0, 4).finally(() => h.close())
        if (isImmutableContainerHeader(first)) {
          throw storageServerError('WRONG_SHARE_KIND', 'this storage index holds immutable shares')
        }
        // anything else is not a share of ours; leave it alone
      }
    }
  } catch (err) {
    await Promise.all([...shares.values()].map((s) => s.close()))
    throw err
  }
  return shares
}

/**
 * Tahoe's slot_testv_and_readv_and_writev: check the write enabler of every existing share, run
 * every test vector (a missing share reads as empty), read the read vector from every existing
 * share, and only if all tests passed apply the writes and renew (or add) the writer's lease.
 *
 * Each changed share is written as a new file (mutable-rewrite.ts) and renamed over the old one, so
 * a crash leaves either version, never a mix. All new versions are prepared before any is renamed
 * in, and refused together with NO_SPACE when their growth does not fit.
 */
export async function slotReadTestWrite(
  ctx: SlotContext,
  si: string,
  secrets: SlotSecrets,
  vectors: Map<number, TestWriteVectors>,
  readVector: ReadVector[],
): Promise<{ result: ReadTestWriteResult; changes: SlotChange[] }> {
  const shares = await openSlot(ctx.layout, si)
  const prepared = new Map<number, PreparedRewrite | 'delete'>()
  try {
    for (const share of shares.values()) {
      const { writeEnabler } = await share.writeEnabler()
      if (!writeEnablerMatches(writeEnabler, secrets.writeEnabler)) {
        throw storageServerError('WRONG_WRITE_ENABLER', 'the write enabler does not match this slot')
      }
    }
    let success = true
    tests: for (const [n, v] of vectors) {
      const share = shares.get(n)
      for (const t of v.test) {
        const data = share === undefined ? new Uint8Array(0) : await share.read(t.offset, t.size)
        if (!constantTimeEqual(data, t.specimen)) {
          success = false
          break tests
        }
      }
    }
    const data = new Map<number, Uint8Array[]>()
    for (const n of [...shares.keys()].sort((a, b) => a - b)) {
      const share = shares.get(n) as MutableShareFile
      const reads: Uint8Array[] = []
      for (const r of readVector) reads.push(await share.read(r.offset, r.size))
      data.set(n, reads)
    }
    if (!success) return { result: { success, data }, changes: [] }

    const previousSizes = new Map<number, number>()
    for (const n of [...vectors.keys()].sort((a, b) => a - b)) {
      const v = vectors.get(n) as TestWriteVectors
      const existing = shares.get(n)
      if (existing !== undefined) previousSizes.set(n, (await existing.handle.stat()).size)
      if (v.newLength === 0) {
        if (existing !== undefined) prepared.set(n, 'delete')
        continue
      }
      const source =
        existing === undefined
          ? { bytes: newMutableContainer(ctx.nodeId, secrets.writeEnabler) }
          : { path: sharePath(ctx.layout, si, n) }
      const p = await prepareMutableRewrite(ctx.layout.tmp, source, async (file) => {
        for (const w of v.write) await file.write(w.offset, w.data)
        if (v.newLength !== null) await file.truncate(v.newLength)
        await file.addOrRenewLease(secrets, {
          ownerNumber: CLIENT_LEASE_OWNER,
          expiresAt: ctx.leaseExpiry(),
          nodeId: ctx.nodeId,
          mayGrow: () => true, // counted with the rest of the growth below
        })
      })
      prepared.set(n, p)
    }
    let growth = 0
    for (const p of prepared.values()) if (p !== 'delete') growth += p.size - p.previousSize
    if (growth > 0 && growth > (await ctx.space.available())) {
      throw storageServerError('NO_SPACE', 'this write would exceed the space this server offers', { growth })
    }
    for (const s of shares.values()) await s.close()
    shares.clear()
    const changes: SlotChange[] = []
    for (const [n, p] of prepared) {
      const final = sharePath(ctx.layout, si, n)
      const previousSize = previousSizes.get(n) ?? 0
      if (p === 'delete') {
        await unlinkDurable(final)
        changes.push({ shareNumber: n, change: 'deleted', size: 0, previousSize })
      } else {
        await commitRewrite(p, final)
        changes.push({ shareNumber: n, change: 'stored', size: p.size, previousSize })
      }
      prepared.delete(n)
    }
    if (changes.some((c) => c.change === 'deleted')) await removeIfEmpty(bucketPath(ctx.layout, si))
    return { result: { success, data }, changes }
  } finally {
    await Promise.all([...shares.values()].map((s) => s.close()))
    await Promise.all([...prepared.values()].map((p) => (p === 'delete' ? undefined : discardRewrite(p))))
  }
}
