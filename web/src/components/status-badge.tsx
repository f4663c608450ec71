import type { ComponentChildren } from 'preact'
import type { InviteState, MemberStatus } from '../api/types.ts'

export type Tone = 'good' | 'warn' | 'bad' | 'neutral' | 'info'

/** A coloured badge that always says in words what its colour means. */
export function Badge({
  tone,
  children,
  title,
}: {
  tone: Tone
  children: ComponentChildren
  title?: string
}) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      <span class="badge-dot" aria-hidden="true" />
      {children}
    </span>
  )
}

const MEMBER: Record<MemberStatus, { tone: Tone; label: string }> = {
  alive: { tone: 'good', label: 'Alive' },
  suspect: { tone: 'warn', label: 'Suspect' },
  dead: { tone: 'bad', label: 'Dead' },
  left: { tone: 'neutral', label: 'Left' },
}

export const memberTone = (status: MemberStatus): Tone => MEMBER[status].tone
export const memberLabel = (status: MemberStatus): string => MEMBER[status].label

export function StatusBadge({ status }: { status: MemberStatus }) {
  const { tone, label } = MEMBER[status]
  return (
    <Badge tone={tone}>
      <span data-status={status}>{label}</span>
    </Badge>
  )
}

const INVITE: Record<InviteState, Tone> = {
  active: 'good',
  used: 'info',
  expired: 'neutral',
  revoked: 'neutral',
}

export function InviteBadge({ state }: { state: InviteState }) {
  return <Badge tone={INVITE[state]}>{state.charAt(0).toUpperCase() + state.slice(1)}</Badge>
}
