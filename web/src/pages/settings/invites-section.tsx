import { useEffect, useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import type { CreatedInvite, Invite } from '../../api/types.ts'
import { ConfirmButton } from '../../components/confirm-button.tsx'
import { CopyButton } from '../../components/copy-button.tsx'
import { formatDateTime, formatIn } from '../../components/format.ts'
import { Notice } from '../../components/notice.tsx'
import { QrCode } from '../../components/qr-code.tsx'
import { InviteBadge } from '../../components/status-badge.tsx'
import { cloudStore } from '../../live/cloud-store.ts'

const EXPIRIES = [
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
]

/** One-time invites for new members: the code as text and as a QR code, shown once; revocable. */
export function InvitesSection() {
  const [invites, setInvites] = useState<Invite[] | null>(null)
  const [expires, setExpires] = useState('24h')
  const [created, setCreated] = useState<CreatedInvite | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const load = () =>
    api.invites().then(
      (list) => setInvites([...list].sort((a, b) => b.createdAt - a.createdAt)),
      (err) => setError(errorText(err)),
    )
  useEffect(() => {
    void load()
    // an invite used by a new member changes state: follow the event stream
    return cloudStore.onEvent((e) => {
      if (e.event.startsWith('invite:')) void load()
    })
  }, [])

  const create = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      setCreated(await api.createInvite(expires))
      await load()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const revoke = async (invite: Invite) => {
    setError(null)
    try {
      await api.revokeInvite(invite.id)
      if (created?.id === invite.id) setCreated(null)
      await load()
    } catch (err) {
      setError(errorText(err))
    }
  }

  return (
    <section class="card card-wide" aria-labelledby="invites-title">
      <h2 id="invites-title">Invites</h2>
      <p class="muted">
        An invite lets one new machine join this cloud, once, before it expires. It holds no key: the cloud
        key is handed over in an encrypted channel when the new node joins.
      </p>
      <form class="inline-form" onSubmit={create}>
        <div class="field inline-field">
          <label for="invite-expires">Valid for</label>
          <select id="invite-expires" value={expires} onChange={(e) => setExpires(e.currentTarget.value)}>
            {EXPIRIES.map((x) => (
              <option key={x.value} value={x.value}>
                {x.label}
              </option>
            ))}
          </select>
          <button type="submit" class="button button-primary" disabled={busy}>
            Create invite
          </button>
        </div>
      </form>
      {created && (
        <div class="invite-created" role="status">
          <div class="invite-text">
            <p class="strong">
              Invite {created.id} · expires {formatIn(created.expiresAt)}
            </p>
            <p class="muted">
              Give it to the new member over a channel you trust. It is shown only now. On the new machine
              run:
            </p>
            <pre class="code-block" data-secret="invite">
              <code>cloudy join '{created.code}'</code>
            </pre>
            <CopyButton text={created.code} label="Copy invite code" />
          </div>
          <QrCode text={created.code} label={`QR code of invite ${created.id}`} />
        </div>
      )}
      {invites === null ? (
        <p class="loading">Loading…</p>
      ) : invites.length === 0 ? (
        <p class="muted">No invites yet. Create one when a new machine should join.</p>
      ) : (
        <ul class="plain-list">
          {invites.map((inv) => (
            <li key={inv.id} class="list-row" data-invite={inv.id}>
              <span class="stack">
                <span>
                  <code>{inv.id}</code> <InviteBadge state={inv.state} />
                </span>
                <span class="muted small">
                  created {formatDateTime(inv.createdAt)} ·{' '}
                  {inv.state === 'active'
                    ? `expires ${formatIn(inv.expiresAt)}`
                    : inv.usedBy
                      ? `used by ${inv.usedBy}`
                      : `expired ${formatDateTime(inv.expiresAt)}`}
                </span>
              </span>
              {inv.state === 'active' && (
                <ConfirmButton
                  label="Revoke"
                  question={`Revoke invite ${inv.id}? Nobody can join with it afterwards.`}
                  confirmLabel="Revoke"
                  onConfirm={() => revoke(inv)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </section>
  )
}
