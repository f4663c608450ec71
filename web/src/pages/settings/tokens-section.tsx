import { useEffect, useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import type { ApiToken, CreatedToken } from '../../api/types.ts'
import { ConfirmButton } from '../../components/confirm-button.tsx'
import { CopyButton } from '../../components/copy-button.tsx'
import { formatAgo, formatDateTime } from '../../components/format.ts'
import { Notice } from '../../components/notice.tsx'

/** API tokens for scripts and the CLI: create a new one, switch to it, then revoke the old one. */
export function TokensSection() {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null)
  const [name, setName] = useState('')
  const [created, setCreated] = useState<CreatedToken | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const load = () => api.tokens().then(setTokens, (err) => setError(errorText(err)))
  useEffect(() => {
    void load()
  }, [])

  const create = async (event: Event) => {
    event.preventDefault()
    if (name.trim() === '') {
      setError('Give the token a name that says who uses it, e.g. "backup script".')
      return
    }
    setBusy(true)
    setError(null)
    try {
      setCreated(await api.createToken(name.trim()))
      setName('')
      await load()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const revoke = async (token: ApiToken) => {
    setError(null)
    try {
      await api.revokeToken(token.id)
      if (created?.id === token.id) setCreated(null)
      await load()
    } catch (err) {
      setError(errorText(err))
    }
  }

  return (
    <section class="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p class="muted">
        For scripts and the <code>cloudy</code> command. To rotate one: create a new token, switch its user to
        it, then revoke the old one.
      </p>
      {tokens === null ? (
        <p class="loading">Loading…</p>
      ) : tokens.length === 0 ? (
        <p class="muted">No tokens. Create one for each script or machine that uses the API.</p>
      ) : (
        <ul class="plain-list">
          {tokens.map((t) => (
            <li key={t.id} class="list-row" data-token={t.name}>
              <span class="stack">
                <span class="strong">{t.name}</span>
                <span class="muted small">
                  created {formatDateTime(t.createdAt)} ·{' '}
                  {t.lastUsedAt ? `last used ${formatAgo(t.lastUsedAt)}` : 'never used'}
                </span>
              </span>
              <ConfirmButton
                label="Revoke"
                question={
                  t.name === 'cli'
                    ? 'The cloudy command uses this token; `cloudy init` makes a new one. Revoke it?'
                    : `Revoke "${t.name}"? Whatever uses it stops working.`
                }
                confirmLabel="Revoke"
                onConfirm={() => revoke(t)}
              />
            </li>
          ))}
        </ul>
      )}
      {created && (
        <Notice tone="success" title={`Token "${created.name}" created`}>
          <p>Copy it now: it is not shown again.</p>
          <div class="secret">
            <code class="secret-text" data-secret="token">
              {created.token}
            </code>
            <CopyButton text={created.token} />
          </div>
        </Notice>
      )}
      <form class="inline-form" onSubmit={create} noValidate>
        <div class="field inline-field">
          <label for="token-name">New token's name</label>
          <input
            id="token-name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            placeholder="backup script"
            maxLength={64}
          />
          <button type="submit" class="button" disabled={busy}>
            Create token
          </button>
        </div>
      </form>
      {error && <Notice tone="error">{error}</Notice>}
    </section>
  )
}
