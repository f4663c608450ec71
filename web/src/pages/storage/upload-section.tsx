import { useRef, useState } from 'preact/hooks'
import { errorText } from '../../api/client.ts'
import { CopyButton } from '../../components/copy-button.tsx'
import { formatBytes, plural } from '../../components/format.ts'
import { Notice } from '../../components/notice.tsx'
import { isAbort, type PutResult, storageApi, type Transfer } from './storage-api.ts'
import { TransferProgress } from './transfer-progress.tsx'

interface Uploaded extends PutResult {
  name: string
}

/** Stores a file of this computer on the cloud and shows its cap, the only way to read it again. */
export function UploadSection({
  encoding,
  onUploaded,
}: {
  encoding: { needed: number; total: number } | undefined
  onUploaded: (cap: string, name: string) => void
}) {
  const [file, setFile] = useState<File | null>(null)
  const [transfer, setTransfer] = useState<Transfer | null>(null)
  const [uploaded, setUploaded] = useState<Uploaded | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const abort = useRef<AbortController | null>(null)

  const submit = async (event: Event) => {
    event.preventDefault()
    setFailure(null)
    if (!file) {
      setFailure('Choose a file to upload.')
      return
    }
    const controller = new AbortController()
    abort.current = controller
    setUploaded(null)
    setTransfer({ loaded: 0, total: file.size })
    try {
      const result = await storageApi.upload(file, { onProgress: setTransfer, signal: controller.signal })
      setUploaded({ ...result, name: file.name })
      onUploaded(result.cap, file.name)
    } catch (err) {
      setFailure(isAbort(err) ? 'The upload was cancelled; nothing was stored.' : errorText(err))
    } finally {
      abort.current = null
      setTransfer(null)
    }
  }

  const sending = transfer !== null && (transfer.total === null || transfer.loaded < transfer.total)
  const servers = uploaded ? new Set(Object.values(uploaded.placement)).size : 0
  const shares = uploaded ? Object.keys(uploaded.placement).length : 0

  return (
    <form class="card" aria-labelledby="upload-title" onSubmit={submit} noValidate>
      <h2 id="upload-title">Upload a file</h2>
      <p class="muted">
        This node encrypts the file, then spreads it over the storage servers
        {encoding ? ` as ${encoding.total} shares, any ${encoding.needed} of which rebuild it` : ''}. The
        servers see only ciphertext. The file's cap is the only way to read it again: whoever has the cap can
        read the file.
      </p>
      <div class="field">
        <label for="upload-file">File</label>
        <div class="inline-field">
          <input
            id="upload-file"
            type="file"
            disabled={transfer !== null}
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
          {transfer === null ? (
            <button type="submit" class="button button-primary">
              Upload
            </button>
          ) : sending ? (
            <button type="button" class="button" onClick={() => abort.current?.abort()}>
              Cancel
            </button>
          ) : (
            // once sent, the node stores the file even if the page goes away
            <button type="button" class="button" disabled>
              Storing…
            </button>
          )}
        </div>
      </div>
      {transfer && file && (
        <TransferProgress
          label={`Upload of ${file.name}`}
          transfer={transfer}
          after="Sent; encoding and storing it on the cloud…"
        />
      )}
      {failure && <Notice tone="error">{failure}</Notice>}
      {uploaded && (
        <Notice tone="success" title={`Stored “${uploaded.name}” (${formatBytes(uploaded.size)})`}>
          <p>
            {shares === 0
              ? 'It is small enough that its cap holds the data itself.'
              : `${plural(shares, 'share')} on ${plural(servers, 'server')}.`}{' '}
            Keep its cap:
          </p>
          <p class="code-block storage-cap" data-testid="uploaded-cap">
            {uploaded.cap}
          </p>
          <CopyButton text={uploaded.cap} label="Copy cap" />
        </Notice>
      )}
    </form>
  )
}
