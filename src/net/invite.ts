import { createHash } from 'node:crypto'
import {
  CODE_DNS,
  CODE_DNS4,
  CODE_DNS6,
  CODE_IP4,
  CODE_IP6,
  CODE_P2P,
  CODE_TCP,
} from '@multiformats/multiaddr'
import { z } from 'zod'
import { CloudyError } from '../util/errors.ts'
import { CLOUD_ID_RE } from './cloud-key.ts'
import { parseMultiaddr, parsePeerId } from './peer-address.ts'

/**
 * An invite lets one node join a cloud (docs/overlay.md, "Invite codes"). Its text form is
 * `cloudy-invite-v1:` followed by base64url (no padding) of the UTF-8 JSON of this structure. Readers
 * ignore fields they do not know.
 */
export interface Invite {
  v: 1
  cloudId: string
  cloudName: string
  /** one-time join token: 32 random bytes, base64url without padding */
  token: string
  /** peer id of the inviting member; Noise checks that the node answering on `addrs` holds its key */
  peer: string
  /** the inviting member's join addresses, each ending with /p2p/<peer> */
  addrs: string[]
  /** ms since epoch */
  expiresAt: number
}

export const INVITE_PREFIX = 'cloudy-invite-v1:'
const MAX_INVITE_CHARS = 8192
const MAX_INVITE_ADDRS = 16
const TOKEN_HASH_TAG = 'cloudy-invite-token-v1'

const inviteSchema = z
  .object({
    v: z.literal(1),
    cloudId: z.string().regex(CLOUD_ID_RE, 'must be 16 lowercase hex digits'),
    cloudName: z.string().min(1).max(128),
    token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes in base64url'),
    peer: z.string().refine(isPeerId, 'is not a peer id'),
    addrs: z.array(z.string()).min(1, 'needs at least one address').max(MAX_INVITE_ADDRS),
    expiresAt: z.number().int().positive(),
  })
  .superRefine((invite, ctx) => {
    if (!isPeerId(invite.peer)) return
    invite.addrs.forEach((addr, i) => {
      const problem = joinAddressProblem(addr, invite.peer)
      if (problem)
        ctx.addIssue({ code: 'custom', path: ['addrs', i], message: `bad address "${addr}": ${problem}` })
    })
  })

/** The text form of an invite; throws INVALID_INPUT when the invite is not valid. */
export function encodeInvite(invite: Invite): string {
  const parsed = inviteSchema.safeParse(invite)
  if (!parsed.success)
    throw new CloudyError('INVALID_INPUT', `cannot encode invite: ${describeIssues(parsed.error, invite)}`)
  return INVITE_PREFIX + Buffer.from(JSON.stringify(parsed.data)).toString('base64url')
}

/**
 * Parses an invite code. Throws INVALID_INVITE saying what is wrong: not an invite, another version,
 * damaged text, a missing or bad field, a bad address. An expired invite decodes: see isInviteExpired.
 */
export function decodeInvite(text: string): Invite {
  const code = text.trim()
  const version = /^cloudy-invite-v(\d+):/.exec(code)
  if (!version) {
    throw new CloudyError('INVALID_INVITE', `not a Cloudy invite: it must start with "${INVITE_PREFIX}"`)
  }
  if (version[1] !== '1') {
    throw new CloudyError(
      'INVALID_INVITE',
      `unsupported invite version ${version[1]}: this Cloudy reads version 1 invites (update Cloudy, or ask for a v1 invite)`,
    )
  }
  if (code.length > MAX_INVITE_CHARS) {
    throw new CloudyError(
      'INVALID_INVITE',
      `the invite is too long (${code.length} > ${MAX_INVITE_CHARS} characters)`,
    )
  }
  const body = code.slice(INVITE_PREFIX.length)
  if (!/^[A-Za-z0-9_-]+$/.test(body)) {
    throw new CloudyError(
      'INVALID_INVITE',
      'the invite is damaged: unexpected characters after the prefix; copy it again in full',
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
  } catch {
    throw new CloudyError(
      'INVALID_INVITE',
      'the invite is damaged (its content is not JSON); copy it again in full',
    )
  }
  if (typeof raw === 'object' && raw !== null && 'v' in raw && raw.v !== 1) {
    throw new CloudyError(
      'INVALID_INVITE',
      `unsupported invite content version ${JSON.stringify(raw.v)}; expected 1`,
    )
  }
  const parsed = inviteSchema.safeParse(raw)
  if (!parsed.success)
    throw new CloudyError('INVALID_INVITE', `invalid invite: ${describeIssues(parsed.error, raw)}`)
  return parsed.data
}

export function isInviteExpired(invite: Invite, now: number): boolean {
  return now >= invite.expiresAt
}

/** SHA-256 hex of "cloudy-invite-token-v1" || token: what the inviter stores instead of the token. */
export function hashInviteToken(token: string): string {
  return createHash('sha256').update(TOKEN_HASH_TAG).update(token, 'utf8').digest('hex')
}

function isPeerId(value: string): boolean {
  try {
    parsePeerId(value)
    return true
  } catch {
    return false
  }
}

const HOST_CODES = new Set([CODE_IP4, CODE_IP6, CODE_DNS, CODE_DNS4, CODE_DNS6])

/** Why an address cannot be a join address of `peer` (direct TCP ending with /p2p/<peer>), or undefined. */
function joinAddressProblem(addr: string, peer: string): string | undefined {
  let components: ReturnType<ReturnType<typeof parseMultiaddr>['getComponents']>
  try {
    components = parseMultiaddr(addr).getComponents()
  } catch {
    return 'not a multiaddr'
  }
  const [host, tcp, p2p, ...rest] = components
  if (host === undefined || !HOST_CODES.has(host.code) || tcp?.code !== CODE_TCP || rest.length > 0) {
    return 'expected /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/p2p/<peer id>'
  }
  if (p2p?.code !== CODE_P2P) return 'it must end with /p2p/<peer id>'
  if (p2p.value !== peer) return `it names peer ${p2p.value}, not the inviting peer ${peer}`
  return undefined
}

/** One sentence listing what is wrong, e.g. `missing field "cloudName"; addrs.0: bad address ...`. */
function describeIssues(error: z.ZodError, raw: unknown): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.')
      if (issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined)
        return `missing field "${path}"`
      if (issue.code === 'custom' && issue.path[0] === 'addrs') return issue.message
      return path ? `field "${path}": ${issue.message}` : issue.message
    })
    .join('; ')
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}
