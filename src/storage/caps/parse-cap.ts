import { storageError } from '../util/storage-error.ts'
import { type ChkCap, formatChkCap, parseChkCap } from './chk-cap.ts'
import { type ChkVerifyCap, formatChkVerifyCap, parseChkVerifyCap } from './chk-verify-cap.ts'
import { formatLitCap, type LitCap, parseLitCap } from './lit-cap.ts'

/** Every cap kind this version parses. */
export type Cap = ChkCap | ChkVerifyCap | LitCap
export type CapKind = Cap['kind']

/** Tahoe cap kinds that exist but come in a later part (mutable files and directories). */
const LATER_KINDS: Record<string, string> = {
  SSK: 'mutable SDMF file write cap',
  'SSK-RO': 'mutable SDMF file read cap',
  'SSK-Verifier': 'mutable SDMF file verify cap',
  MDMF: 'mutable MDMF file write cap',
  'MDMF-RO': 'mutable MDMF file read cap',
  'MDMF-Verifier': 'mutable MDMF file verify cap',
  DIR2: 'directory write cap',
  'DIR2-RO': 'directory read cap',
  'DIR2-Verifier': 'directory verify cap',
  'DIR2-CHK': 'immutable directory cap',
  'DIR2-CHK-Verifier': 'immutable directory verify cap',
  'DIR2-LIT': 'literal directory cap',
  'DIR2-MDMF': 'MDMF directory write cap',
  'DIR2-MDMF-RO': 'MDMF directory read cap',
  'DIR2-MDMF-Verifier': 'MDMF directory verify cap',
}

/**
 * Tahoe lets any cap carry an "alleged" prefix: `ro.` (must be read-only) or `imm.` (must be
 * immutable). Every kind parsed here is both, so the prefixes are accepted and dropped.
 */
const ALLEGED_PREFIXES = ['imm.', 'ro.'] as const

/**
 * Parses any cap string into its typed form, or throws INVALID_CAP saying what is wrong (or
 * UNSUPPORTED_CAP for the Tahoe kinds not handled yet). Error messages never contain the cap.
 */
export function parseCap(text: string): Cap {
  if (typeof text !== 'string') throw storageError('INVALID_CAP', 'a cap must be a string')
  let body = text
  for (const prefix of ALLEGED_PREFIXES) {
    if (body.startsWith(prefix)) {
      body = body.slice(prefix.length)
      break
    }
  }
  if (/\s/.test(body)) {
    throw storageError('INVALID_CAP', 'cap contains whitespace (was it copied with a line break?)')
  }
  if (!body.startsWith('URI:')) {
    throw storageError('INVALID_CAP', 'not a Tahoe-LAFS cap: caps start with "URI:"')
  }
  const match = /^URI:([A-Za-z0-9-]+):/.exec(body)
  const tag = match?.[1]
  switch (tag) {
    case 'CHK':
      return parseChkCap(body)
    case 'CHK-Verifier':
      return parseChkVerifyCap(body)
    case 'LIT':
      return parseLitCap(body)
    case undefined:
      throw storageError('INVALID_CAP', 'not a Tahoe-LAFS cap: no kind after "URI:"')
  }
  const later = LATER_KINDS[tag]
  if (later !== undefined) {
    throw storageError('UNSUPPORTED_CAP', `URI:${tag}: caps (${later}) are not supported yet`, {
      capKind: `URI:${tag}:`,
    })
  }
  throw storageError('INVALID_CAP', `unknown cap kind "URI:${tag.slice(0, 40)}:"`, {
    capKind: `URI:${tag.slice(0, 40)}:`,
  })
}

export function formatCap(cap: Cap): string {
  switch (cap.kind) {
    case 'chk':
      return formatChkCap(cap)
    case 'chk-verifier':
      return formatChkVerifyCap(cap)
    case 'lit':
      return formatLitCap(cap)
  }
}
