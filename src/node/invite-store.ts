import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.ts'
import { CloudyError } from '../util/errors.ts'
import type { DataDir } from './data-dir.ts'
import type { InviteView } from './types.ts'

const InviteSchema = z.object({
  id: z.string(),
  cloudId: z.string(),
  /** SHA-256 of the one-time token (docs/overlay.md); the token itself is never stored */
  tokenHash: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  usedAt: z.number().optional(),
  usedBy: z.string().optional(),
  revokedAt: z.number().optional(),
})
type Invite = z.infer<typeof InviteSchema>

const FileSchema = z.object({ v: z.literal(1), invites: z.array(InviteSchema) })

/** Invites this node issued: hashes of one-time tokens with expiry, use and revocation (invites.json). */
export class InviteStore {
  readonly #dataDir: DataDir
  readonly #clock: () => number
  #invites: Invite[] = []

  constructor(dataDir: DataDir, clock: () => number) {
    this.#dataDir = dataDir
    this.#clock = clock
  }

  async load(): Promise<void> {
    const raw = await readJsonIfExists(this.#dataDir.invites)
    this.#invites = raw === undefined ? [] : FileSchema.parse(raw).invites
  }

  async add(cloudId: string, tokenHash: string, expiresInMs: number): Promise<InviteView> {
    const now = this.#clock()
    const invite: Invite = {
      id: randomBytes(6).toString('hex'),
      cloudId,
      tokenHash,
      createdAt: now,
      expiresAt: now + expiresInMs,
    }
    this.#invites.push(invite)
    await this.#save()
    return this.#view(invite)
  }

  list(): InviteView[] {
    return this.#invites.map((i) => this.#view(i))
  }

  async revoke(id: string): Promise<InviteView> {
    const invite = this.#invites.find((i) => i.id === id)
    if (invite === undefined) throw new CloudyError('NOT_FOUND', `no invite with id ${id}`)
    if (invite.revokedAt === undefined && invite.usedAt === undefined) {
      invite.revokedAt = this.#clock()
      await this.#save()
    }
    return this.#view(invite)
  }

  /**
   * Marks the invite with this token hash used, durably, before the caller hands over the cloud key.
   * Throws INVITE_REFUSED for an unknown, used, expired or revoked token.
   */
  async consume(cloudId: string, tokenHash: string, usedBy: string): Promise<InviteView> {
    const invite = this.#invites.find((i) => i.tokenHash === tokenHash && i.cloudId === cloudId)
    const state = invite ? this.#view(invite).state : undefined
    if (invite === undefined || state !== 'active') {
      const why = state === undefined ? 'is not known to this member' : `was ${state}`
      throw new CloudyError('INVITE_REFUSED', `the invite ${why}; ask a member for a new one`)
    }
    invite.usedAt = this.#clock()
    invite.usedBy = usedBy
    await this.#save()
    return this.#view(invite)
  }

  /** Drops invites of other clouds (after leaving) and long-finished ones. */
  async prune(currentCloudId: string | undefined): Promise<void> {
    const horizon = this.#clock() - 30 * 86_400_000
    const before = this.#invites.length
    this.#invites = this.#invites.filter(
      (i) => i.cloudId === currentCloudId && (this.#view(i).state === 'active' || i.createdAt > horizon),
    )
    if (this.#invites.length !== before) await this.#save()
  }

  #view(i: Invite): InviteView {
    const state =
      i.revokedAt !== undefined
        ? 'revoked'
        : i.usedAt !== undefined
          ? 'used'
          : this.#clock() >= i.expiresAt
            ? 'expired'
            : 'active'
    return {
      id: i.id,
      createdAt: i.createdAt,
      expiresAt: i.expiresAt,
      state,
      ...(i.usedBy ? { usedBy: i.usedBy } : {}),
    }
  }

  async #save(): Promise<void> {
    await writeJsonAtomic(this.#dataDir.invites, { v: 1, invites: this.#invites })
  }
}
