import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { immutableContainerSize } from '../../../../src/storage/server/immutable-container.ts'
import { MutableShareFile } from '../../../../src/storage/server/mutable-container.ts'
import { StorageCore, type StorageCoreComponents } from '../../../../src/storage/server/storage-core.ts'
import { storageIndexToBase32 } from '../../../../src/storage/server/storage-index.ts'
import type { StorageCoreEvents } from '../../../../src/storage/server/types.ts'
import { CloudyError } from '../../../../src/util/errors.ts'
import { silentLogger } from '../../../../src/util/logger.ts'
import { fixture, TRANSCRIPTS_DIR } from './transcripts.ts'

const dirs: string[] = []
const cores: StorageCore[] = []
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function openCore(
  init: { capacity?: number; reservedSpace?: number; uploadIdleTimeoutMs?: number; directory?: string } = {},
  components: Partial<StorageCoreComponents> = {},
): Promise<StorageCore> {
  let directory = init.directory
  if (directory === undefined) {
    directory = await mkdtemp(join(tmpdir(), 'cloudy-core-'))
    dirs.push(directory)
  }
  const core = await StorageCore.open({ ...init, directory }, { logger: silentLogger(), ...components })
  cores.push(core)
  return core
}

const secrets = () => ({
  uploadSecret: randomBytes(16),
  renewSecret: randomBytes(32),
  cancelSecret: randomBytes(32),
})
const kindOf = (err: unknown) => (err instanceof CloudyError ? err.details?.kind : err)

async function storeShare(core: StorageCore, si: Uint8Array, n: number, data: Uint8Array) {
  const s = secrets()
  const { allocated } = await core.allocateBuckets(si, {
    ...s,
    shareNumbers: [n],
    allocatedSize: data.length,
  })
  expect(allocated).toEqual([n])
  return core.writeImmutable(si, n, s.uploadSecret, 0, data.length, data)
}

describe('capacity and reserved space', () => {
  test('a share that would exceed the capacity is not allocated', async () => {
    const core = await openCore({ capacity: immutableContainerSize(1000) * 2 })
    const si = randomBytes(16)
    const r = await core.allocateBuckets(si, { ...secrets(), shareNumbers: [0, 1, 2], allocatedSize: 1000 })
    expect(r.allocated).toEqual([0, 1])
    expect((await core.version()).availableSpace).toBe(0)
    const bigger = await core.allocateBuckets(randomBytes(16), {
      ...secrets(),
      shareNumbers: [0],
      allocatedSize: 1,
    })
    expect(bigger.allocated).toEqual([])
  })

  test('stored shares count against the capacity, aborted uploads do not', async () => {
    const core = await openCore({ capacity: immutableContainerSize(100) + 50 })
    const s = secrets()
    const si = randomBytes(16)
    await core.allocateBuckets(si, { ...s, shareNumbers: [0], allocatedSize: 100 })
    await core.abortImmutable(si, 0, s.uploadSecret)
    expect((await core.version()).availableSpace).toBe(immutableContainerSize(100) + 50)
    await storeShare(core, si, 0, randomBytes(100))
    expect(core.stats()).toMatchObject({
      shares: 1,
      bytesUsed: immutableContainerSize(100),
      uploadsInProgress: 0,
    })
    expect((await core.version()).availableSpace).toBe(50)
  })

  test('the reserved free space of the disk is kept', async () => {
    let free = 1_000_000
    const core = await openCore({ reservedSpace: 900_000 }, { diskFree: async () => free })
    expect((await core.version()).availableSpace).toBe(100_000)
    const r = await core.allocateBuckets(randomBytes(16), {
      ...secrets(),
      shareNumbers: [0, 1],
      allocatedSize: 60_000,
    })
    expect(r.allocated).toEqual([0])
    free = 800_000
    expect((await core.version()).availableSpace).toBe(0)
  })

  test('mutable growth beyond the space is refused with NO_SPACE and changes nothing', async () => {
    const core = await openCore({ capacity: 2000 })
    const si = randomBytes(16)
    const slot = {
      writeEnabler: randomBytes(32),
      renewSecret: randomBytes(32),
      cancelSecret: randomBytes(32),
    }
    const write = (data: Uint8Array) =>
      core.readTestWrite(
        si,
        slot,
        new Map([[0, { test: [], write: [{ offset: 0, data }], newLength: null }]]),
        [],
      )
    await write(randomBytes(1000))
    const err = await write(randomBytes(5000)).catch((e: unknown) => e)
    expect(kindOf(err)).toBe('NO_SPACE')
    const reader = await core.openMutableShare(si, 0)
    expect(reader.length).toBe(1000)
    await reader.close()
    expect(await readdir(core.layout.tmp)).toEqual([])
  })
})

describe('uploads', () => {
  test('an incomplete upload is never listed or served, and is dropped on restart', async () => {
    const core = await openCore()
    const si = randomBytes(16)
    await storeShare(core, si, 0, Buffer.from('complete share'))
    const s = secrets()
    await core.allocateBuckets(si, { ...s, shareNumbers: [1], allocatedSize: 10 })
    await core.writeImmutable(si, 1, s.uploadSecret, 0, 5, Buffer.from('12345'))
    expect(await core.listImmutableShares(si)).toEqual([0])
    expect(kindOf(await core.openImmutableShare(si, 1).catch((e: unknown) => e))).toBe('NOT_FOUND')
    const dir = core.layout.root
    await core.close()
    const again = await openCore({ directory: dir })
    expect(await again.listImmutableShares(si)).toEqual([0])
    const reader = await again.openImmutableShare(si, 0)
    expect(Buffer.from(await reader.read(0, 100)).toString()).toBe('complete share')
    await reader.close()
    expect(await readdir(again.layout.incoming)).toEqual(['tmp'])
    // the second allocation added its lease to share 0 too, as Tahoe does
    expect(again.stats()).toMatchObject({ shares: 1, bytesUsed: immutableContainerSize(14, 2) })
    // the share can be uploaded anew
    expect(
      (await again.allocateBuckets(si, { ...secrets(), shareNumbers: [1], allocatedSize: 10 })).allocated,
    ).toEqual([1])
  })

  test('events: the first write is reported once, the stored share once', async () => {
    const core = await openCore()
    const seen: [keyof StorageCoreEvents, unknown][] = []
    core.events.on('share:write-received', (e) => seen.push(['share:write-received', e]))
    core.events.on('share:stored', (e) => seen.push(['share:stored', e]))
    const si = randomBytes(16)
    const s = secrets()
    await core.allocateBuckets(si, { ...s, shareNumbers: [4], allocatedSize: 6 })
    await core.writeImmutable(si, 4, s.uploadSecret, 0, 3, Buffer.from('abc'))
    await core.writeImmutable(si, 4, s.uploadSecret, 3, 3, Buffer.from('def'))
    const text = storageIndexToBase32(si)
    expect(seen).toEqual([
      ['share:write-received', { storageIndex: text, shareNumber: 4, offset: 0, length: 3 }],
      [
        'share:stored',
        { kind: 'immutable', storageIndex: text, shareNumber: 4, size: immutableContainerSize(6) },
      ],
    ])
    expect(core.stats().counters).toMatchObject({ immutableSharesStored: 1, bytesWritten: 6 })
  })

  test('an idle upload is aborted', async () => {
    const core = await openCore({ uploadIdleTimeoutMs: 50 })
    const si = randomBytes(16)
    const s = secrets()
    const aborted = new Promise((resolve) => core.events.once('upload:aborted', resolve))
    await core.allocateBuckets(si, { ...s, shareNumbers: [0], allocatedSize: 6 })
    expect(await aborted).toMatchObject({ shareNumber: 0, reason: 'idle' })
    expect(
      kindOf(
        await core.writeImmutable(si, 0, s.uploadSecret, 0, 1, Buffer.from('a')).catch((e: unknown) => e),
      ),
    ).toBe('NOT_FOUND')
    expect(core.stats().uploadsInProgress).toBe(0)
  })

  test('concurrent writes to one share are serialized and all land', async () => {
    const core = await openCore()
    const si = randomBytes(16)
    const s = secrets()
    const data = randomBytes(64 * 1024)
    await core.allocateBuckets(si, { ...s, shareNumbers: [0], allocatedSize: data.length })
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        core.writeImmutable(si, 0, s.uploadSecret, i * 4096, 4096, data.subarray(i * 4096, (i + 1) * 4096)),
      ),
    )
    expect(results.filter((r) => r.complete)).toHaveLength(1)
    const reader = await core.openImmutableShare(si, 0)
    expect(Buffer.from(await reader.read(0, data.length))).toEqual(data)
    await reader.close()
  })
})

describe('compatibility with Tahoe’s files', () => {
  test('share files copied from Tahoe servers are listed, served and take leases', async () => {
    const core = await openCore()
    const si = fixture.chk.storage_index_base32
    const dir = join(core.layout.shares, si.slice(0, 2), si)
    await mkdir(dir, { recursive: true })
    for (const share of fixture.chk.disk_shares_after_upload) {
      await copyFile(`${TRANSCRIPTS_DIR}${share.file}`, join(dir, String(share.shnum)))
    }
    expect(await core.listImmutableShares(si)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const reader = await core.openImmutableShare(si, 0)
    const wire = await readFile(`${TRANSCRIPTS_DIR}chk-download/storage7/01-response.bin`)
    expect(Buffer.from(await reader.read(0, 5000))).toEqual(wire)
    await reader.close()
    await core.addOrRenewLease(si, { renewSecret: randomBytes(32), cancelSecret: randomBytes(32) })
    expect((await stat(join(dir, '0'))).size).toBe(1040 + 72)
  })

  test('a mutable container grows past five leases with an extra-lease block that data writes move', async () => {
    const core = await openCore()
    const si = randomBytes(16)
    const slot = {
      writeEnabler: randomBytes(32),
      renewSecret: randomBytes(32),
      cancelSecret: randomBytes(32),
    }
    const write = (offset: number, data: Uint8Array, newLength: number | null = null) =>
      core.readTestWrite(si, slot, new Map([[0, { test: [], write: [{ offset, data }], newLength }]]), [])
    await write(0, Buffer.from('abcdef'))
    for (let i = 0; i < 5; i++)
      await core.addOrRenewLease(si, { renewSecret: randomBytes(32), cancelSecret: randomBytes(32) })
    await write(10, Buffer.from('XY')) // past the end: zero-filled gap, the extra leases move
    const text = storageIndexToBase32(si)
    const file = await MutableShareFile.open(join(core.layout.shares, text.slice(0, 2), text, '0'))
    try {
      expect((await file.leases()).map((l) => l.slot)).toEqual([0, 1, 2, 3, 4, 5])
      expect(Buffer.from(await file.read(0, 100))).toEqual(Buffer.from('abcdef\0\0\0\0XY'))
    } finally {
      await file.close()
    }
    await write(0, Buffer.from('Z'), 3) // truncate: the data shrinks, the container does not
    const reader = await core.openMutableShare(si, 0)
    expect(Buffer.from(await reader.read(0, 100)).toString()).toBe('Zbc')
    await reader.close()
  })

  test('a corruption report is written in Tahoe’s format', async () => {
    const core = await openCore()
    const si = randomBytes(16)
    await storeShare(core, si, 2, Buffer.from('x'))
    await core.adviseCorruptShare('immutable', si, 2, 'hash mismatch')
    const [name] = await readdir(core.layout.advisories)
    expect(name).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d{6}\\.\\d{3}--${storageIndexToBase32(si)}-2$`))
    expect(await readFile(join(core.layout.advisories, name as string), 'utf8')).toBe(
      `report: Share Corruption\ntype: immutable\nstorage_index: ${storageIndexToBase32(si)}\nshare_number: 2\n\nhash mismatch\n\n`,
    )
  })

  test('a storage directory of a newer layout is refused', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cloudy-core-'))
    dirs.push(directory)
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(directory, 'format'), 'cloudy-storage-layout 99\n')
    const err = await StorageCore.open({ directory }, { logger: silentLogger() }).catch((e: unknown) => e)
    expect((err as CloudyError).code).toBe('DATA_DIR_TOO_NEW')
  })
})
