import { useState } from 'preact/hooks'
import { ApiError, api, errorText } from '../api/client.ts'
import type { Session } from '../api/types.ts'
import { Icon } from '../components/icon.tsx'

/** The only page without a session: nothing about the node is shown before login. */
export function LoginPage({ onLogin, reason }: { onLogin: (session: Session) => void; reason?: string }) {
  const [username, setUsername] = useState('admin')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    if (password.length === 0) {
      setError('Enter the password.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      onLogin(await api.login(username.trim(), password))
    } catch (err) {
      setPassword('')
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') {
        setError('Wrong username or password. Check them and try again.')
      } else {
        setError(errorText(err))
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="login" id="main">
      <div class="login-card">
        <div class="login-brand">
          <span class="brand-mark" aria-hidden="true">
            <Icon name="cloud" size={24} />
          </span>
          <span class="brand-name">Cloudy</span>
        </div>
        <h1 id="page-title" tabIndex={-1}>
          Log in to this node
        </h1>
        <p class="muted">See your community cloud, its nodes and its services.</p>
        {reason && (
          <p class="notice notice-info" role="status">
            {reason}
          </p>
        )}
        <form onSubmit={submit} noValidate>
          <div class="field">
            <label for="login-username">Username</label>
            <input
              id="login-username"
              name="username"
              autocomplete="username"
              autocapitalize="none"
              spellcheck={false}
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
              required
            />
          </div>
          <div class="field">
            <label for="login-password">Password</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autocomplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              aria-describedby="login-error login-help"
              aria-invalid={error !== null}
              required
            />
          </div>
          <div id="login-error" class="form-error" role="alert">
            {error}
          </div>
          <button type="submit" class="button button-primary button-block" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
        <p id="login-help" class="login-help">
          The admin password was printed once, when this node first started (<code>cloudy start</code>).
        </p>
      </div>
    </main>
  )
}
