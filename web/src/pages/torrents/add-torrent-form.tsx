import { useState } from 'preact/hooks'
import { errorText } from '../../api/client.ts'
import { Notice } from '../../components/notice.tsx'
import { fileToBase64, type Torrent, torrentsApi } from './torrents-api.ts'

type Mode = 'magnet' | 'file' | 'seed'

/** Add a torrent by magnet link or .torrent file, or seed a file or folder of the node. */
export function AddTorrentForm({ onAdded }: { onAdded: (t: Torrent) => void }) {
  const [mode, setMode] = useState<Mode>('magnet')
  const [magnet, setMagnet] = useState('')
  const [path, setPath] = useState('')
  const [file, setFile] = useState<File | null>(null)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null)

  const submit = async (event: Event) => {
    event.preventDefault()
    setMessage(null)
    let call: () => Promise<Torrent>
    if (mode === 'magnet') {
      if (!magnet.trim().startsWith('magnet:?')) {
        setMessage({ tone: 'error', text: 'Paste a magnet link: it starts with magnet:?' })
        return
      }
      call = () => torrentsApi.addMagnet(magnet.trim())
    } else if (mode === 'file') {
      if (!file) {
        setMessage({ tone: 'error', text: 'Choose a .torrent file.' })
        return
      }
      call = async () => torrentsApi.addFile(await fileToBase64(file))
    } else {
      if (!path.trim().startsWith('/')) {
        setMessage({
          tone: 'error',
          text: 'Give the absolute path of a file or folder on this node, e.g. /srv/film.mkv',
        })
        return
      }
      call = () => torrentsApi.seed(path.trim())
    }
    setBusy(true)
    try {
      const added = await call()
      onAdded(added)
      setMagnet('')
      setPath('')
      setMessage({ tone: 'success', text: `Added “${added.name}”.` })
    } catch (err) {
      setMessage({ tone: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card" aria-labelledby="add-torrent-title" onSubmit={submit} noValidate>
      <h2 id="add-torrent-title">Add a torrent</h2>
      <fieldset class="torrent-modes">
        <legend class="visually-hidden">How</legend>
        {(
          [
            ['magnet', 'Magnet link'],
            ['file', '.torrent file'],
            ['seed', 'Seed a file of this node'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} class="torrent-mode">
            <input
              type="radio"
              name="torrent-mode"
              value={value}
              checked={mode === value}
              onChange={() => setMode(value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <div class="field inline-field">
        {mode === 'magnet' && (
          <>
            <label for="torrent-magnet" class="visually-hidden">
              Magnet link
            </label>
            <input
              id="torrent-magnet"
              value={magnet}
              onInput={(e) => setMagnet(e.currentTarget.value)}
              placeholder="magnet:?xt=urn:btih:…"
              autocapitalize="none"
              spellcheck={false}
            />
          </>
        )}
        {mode === 'file' && (
          <>
            <label for="torrent-file" class="visually-hidden">
              .torrent file
            </label>
            <input
              id="torrent-file"
              type="file"
              accept=".torrent,application/x-bittorrent"
              onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
            />
          </>
        )}
        {mode === 'seed' && (
          <>
            <label for="torrent-path" class="visually-hidden">
              Path on this node
            </label>
            <input
              id="torrent-path"
              value={path}
              onInput={(e) => setPath(e.currentTarget.value)}
              placeholder="/srv/share/film.mkv"
              autocapitalize="none"
              spellcheck={false}
            />
          </>
        )}
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Adding…' : mode === 'seed' ? 'Seed' : 'Add'}
        </button>
      </div>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </form>
  )
}
