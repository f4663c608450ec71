import { useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import type { BuiltinService } from '../../api/types.ts'
import { formatBytes, parseSize } from '../../components/format.ts'
import { Notice } from '../../components/notice.tsx'
import { cloudStore } from '../../live/cloud-store.ts'

/**
 * How much disk this node gives the cloud's storage: the built-in service's `capacity` option, the
 * same setting as `cloudy service enable storage --capacity`. Shown only when the node has it.
 */
export function StorageSection({ storage }: { storage: BuiltinService }) {
  const current = typeof storage.options.capacity === 'number' ? storage.options.capacity : 0
  const [text, setText] = useState(current > 0 ? formatBytes(current) : '')
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    const bytes = parseSize(text)
    if (bytes === undefined || bytes <= 0) {
      setMessage({ tone: 'error', text: 'Enter a size such as 20 GiB, 500 GB or 1.5 TB.' })
      return
    }
    setBusy(true)
    setMessage(null)
    try {
      const view = await api.enableBuiltin('storage', { ...storage.options, capacity: bytes })
      cloudStore.update({ builtins: cloudStore.state.builtins.map((b) => (b.name === view.name ? view : b)) })
      setMessage({ tone: 'success', text: `This node now contributes ${formatBytes(bytes)} of storage.` })
    } catch (err) {
      setMessage({ tone: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card" aria-labelledby="storage-title" onSubmit={submit} noValidate>
      <h2 id="storage-title">Contributed storage</h2>
      <p class="muted" id="storage-help">
        How much of this node's disk the cloud's storage may use.{' '}
        {storage.enabled ? `Now: ${formatBytes(current)}.` : 'Saving switches the storage service on.'}
      </p>
      <div class="field inline-field">
        <label for="storage-capacity" class="visually-hidden">
          Capacity
        </label>
        <input
          id="storage-capacity"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          placeholder="20 GiB"
          aria-describedby="storage-help"
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          Save
        </button>
      </div>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </form>
  )
}
