import { useEffect, useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import { Notice } from '../../components/notice.tsx'
import { cloudStore } from '../../live/cloud-store.ts'
import { useCloud } from '../../live/use-cloud.ts'

const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,62}$/u

export function NodeNameSection() {
  const cloud = useCloud()
  const current = cloud.status?.name ?? ''
  const [name, setName] = useState(current)
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => setName(current), [current])

  const submit = async (event: Event) => {
    event.preventDefault()
    const wanted = name.trim()
    if (!NAME_RE.test(wanted)) {
      setMessage({
        tone: 'error',
        text: 'A node name is 1 to 63 letters, digits, dots, hyphens or underscores, starting with a letter or digit.',
      })
      return
    }
    setBusy(true)
    setMessage(null)
    try {
      cloudStore.update({ status: await api.rename(wanted) })
      setMessage({
        tone: 'success',
        text: `Renamed to ${wanted}. The other members see the new name within seconds.`,
      })
    } catch (err) {
      setMessage({ tone: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card" aria-labelledby="name-title" onSubmit={submit} noValidate>
      <h2 id="name-title">Node name</h2>
      <p class="muted">How this node appears to the other members of the cloud.</p>
      <div class="field inline-field">
        <label for="node-name" class="visually-hidden">
          Node name
        </label>
        <input
          id="node-name"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          maxLength={63}
          autocapitalize="none"
          spellcheck={false}
          aria-invalid={message?.tone === 'error'}
        />
        <button type="submit" class="button button-primary" disabled={busy || name.trim() === current}>
          Save
        </button>
      </div>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </form>
  )
}
