import { useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import { ErrorText } from '../../components/notice.tsx'
import { cloudStore } from '../../live/cloud-store.ts'

/** For a node outside any cloud: join one with an invite, or create one. */
export function CloudSetup() {
  const [invite, setInvite] = useState('')
  const [name, setName] = useState('')
  const [error, setError] = useState<{ form: 'join' | 'create'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  const run = async (form: 'join' | 'create', action: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await action()
      await cloudStore.refresh()
    } catch (err) {
      setError({ form, text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <div class="grid">
      <form
        class="card"
        aria-labelledby="join-title"
        onSubmit={(e) => {
          e.preventDefault()
          void run('join', () => api.joinCloud(invite.trim()))
        }}
      >
        <h2 id="join-title">Join a cloud</h2>
        <div class="field">
          <label for="join-invite">Invite code</label>
          <textarea
            id="join-invite"
            rows={3}
            value={invite}
            onInput={(e) => setInvite(e.currentTarget.value)}
            placeholder="cloudy-invite-v1:…"
            aria-describedby="join-help join-error"
            required
          />
          <p id="join-help" class="help">
            Ask a member for an invite: they create one in Settings → Invites, or with{' '}
            <code>cloudy invite</code>.
          </p>
        </div>
        <div id="join-error">
          <ErrorText message={error?.form === 'join' ? error.text : null} />
        </div>
        <button type="submit" class="button button-primary" disabled={busy || invite.trim() === ''}>
          Join the cloud
        </button>
      </form>
      <form
        class="card"
        aria-labelledby="create-title"
        onSubmit={(e) => {
          e.preventDefault()
          void run('create', () => api.createCloud(name.trim()))
        }}
      >
        <h2 id="create-title">Start a new cloud</h2>
        <div class="field">
          <label for="create-name">Cloud name</label>
          <input
            id="create-name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            placeholder="e.g. Sants community cloud"
            aria-describedby="create-error"
            maxLength={63}
            required
          />
        </div>
        <div id="create-error">
          <ErrorText message={error?.form === 'create' ? error.text : null} />
        </div>
        <button type="submit" class="button" disabled={busy || name.trim() === ''}>
          Create the cloud
        </button>
      </form>
    </div>
  )
}
