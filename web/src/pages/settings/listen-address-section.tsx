import { useEffect, useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import type { ListenSettings } from '../../api/types.ts'
import { Notice } from '../../components/notice.tsx'

const HOST_RE = /^[A-Za-z0-9._:%[\]-]{1,253}$/

/** The listen address (config `host`): saved at once, used from the next start of the daemon. */
export function ListenAddressSection() {
  const [settings, setSettings] = useState<ListenSettings | null>(null)
  const [host, setHost] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    api.listenSettings().then(
      (s) => {
        setSettings(s)
        setHost(s.savedHost)
      },
      (err) => setError(errorText(err)),
    )
  }, [])

  const submit = async (event: Event) => {
    event.preventDefault()
    const wanted = host.trim()
    if (!HOST_RE.test(wanted)) {
      setError('Enter an IP address or a DNS name without spaces, e.g. 0.0.0.0 for every interface.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      setSettings(await api.saveListenHost(wanted))
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card" aria-labelledby="listen-title" onSubmit={submit} noValidate>
      <h2 id="listen-title">Listen address</h2>
      <p class="muted" id="listen-help">
        Where this node accepts the other members' connections (overlay and services).{' '}
        <strong>A change takes effect when the daemon restarts.</strong> Use <code>0.0.0.0</code> for every
        interface, or one of this machine's addresses.
      </p>
      <div class="field inline-field">
        <label for="listen-host" class="visually-hidden">
          Listen address
        </label>
        <input
          id="listen-host"
          value={host}
          onInput={(e) => setHost(e.currentTarget.value)}
          autocapitalize="none"
          spellcheck={false}
          aria-describedby="listen-help"
          aria-invalid={error !== null}
          disabled={settings === null}
        />
        <button
          type="submit"
          class="button button-primary"
          disabled={busy || settings === null || host.trim() === settings.savedHost}
        >
          Save
        </button>
      </div>
      {settings?.restartRequired && (
        <Notice tone="warning" title="Restart needed">
          Saved <code>{settings.savedHost}</code>. Until the daemon restarts (<code>cloudy stop</code>, then{' '}
          <code>cloudy start</code>) the node keeps listening on <code>{settings.host}</code>.
        </Notice>
      )}
      {settings && !settings.restartRequired && (
        <p class="help">
          In use now: <code>{settings.host}</code>. This dashboard and the API listen on{' '}
          <code>
            {settings.apiHost}:{settings.apiPort}
          </code>{' '}
          (<code>apiHost</code> in the node's config.json).
        </p>
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </form>
  )
}
