import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShareKind } from './types.ts'

/** Tahoe's report text (allmydata/storage/server.py), so its tools read Cloudy's reports too. */
export function renderCorruptionReport(
  kind: ShareKind,
  storageIndex: string,
  shareNumber: number,
  reason: string,
) {
  return `report: Share Corruption\ntype: ${kind}\nstorage_index: ${storageIndex}\nshare_number: ${shareNumber}\n\n${reason}\n\n`
}

/** `<UTC time without colons>--<storage index>-<share number>`, as Tahoe names them. */
export function corruptionReportName(now: Date, storageIndex: string, shareNumber: number): string {
  const time = now.toISOString().replace('Z', '').replaceAll(':', '')
  return `${time}--${storageIndex}-${shareNumber}`
}

/** Writes a report into the advisories directory; returns its path. */
export async function writeCorruptionReport(
  dir: string,
  now: Date,
  report: { kind: ShareKind; storageIndex: string; shareNumber: number; reason: string },
): Promise<string> {
  const base = corruptionReportName(now, report.storageIndex, report.shareNumber)
  const text = renderCorruptionReport(report.kind, report.storageIndex, report.shareNumber, report.reason)
  for (let n = 0; ; n++) {
    const path = join(dir, n === 0 ? base : `${base}.${n}`)
    try {
      await writeFile(path, text, { flag: 'wx', mode: 0o644 })
      return path
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw err
    }
  }
}
