import { useRef, useState } from 'preact/hooks'
import { errorText } from '../../api/client.ts'
import { formatBytes, plural } from '../../components/format.ts'
import { Notice } from '../../components/notice.tsx'
import { Badge } from '../../components/status-badge.tsx'
import { announce } from '../../live/announcer.ts'
import { type CheckResult, isAbort, saveBlob, storageApi, type Transfer } from './storage-api.ts'
import { TransferProgress } from './transfer-progress.tsx'

type Busy = 'download' | 'check' | 'verify' | null

function verdict(result: CheckResult): { tone: 'good' | 'warn' | 'bad'; word: string } {
  if (result.healthy) return { tone: 'good', word: 'Healthy' }
  if (result.recoverable) return { tone: 'warn', word: 'Not healthy, still readable' }
  return { tone: 'bad', word: 'Not readable' }
}

function CheckReport({ result, deep }: { result: CheckResult; deep: boolean }) {
  const { healthy, recoverable } = result
  const { tone, word } = verdict(result)
  return (
    <section class="storage-check" aria-labelledby="check-result-title" data-testid="check-result">
      <h3 id="check-result-title">
        {deep ? 'Verified' : 'Checked'}: <Badge tone={tone}>{word}</Badge>
      </h3>
      <p>
        {result.sharesFound} of {result.total} shares {deep ? 'good' : 'found'}; any {result.needed} rebuild
        the file.
        {!healthy && recoverable && ' Upload it again to restore every share.'}
        {!recoverable && ' Too few shares are left to read it; some servers may be away.'}
      </p>
      {result.servers.length > 0 && (
        <ul class="plain-list storage-holders">
          {result.servers.map((s) => (
            <li key={s.id} data-server={s.name}>
              <span class="strong">{s.name}</span>{' '}
              <span class="muted">
                holds {s.shares.length === 1 ? 'share' : 'shares'} {s.shares.join(', ')}
              </span>
            </li>
          ))}
        </ul>
      )}
      {result.unreachable.length > 0 && <p class="muted">Did not answer: {result.unreachable.join(', ')}.</p>}
      {result.corrupt.length > 0 && (
        <Notice
          tone="warning"
          title={`${plural(result.corrupt.length, 'corrupt share')}, reported to its server`}
        >
          <ul class="plain-list">
            {result.corrupt.map((c) => (
              <li key={`${c.server}/${c.shnum}`}>
                share {c.shnum} on {c.server}: {c.message}
              </li>
            ))}
          </ul>
        </Notice>
      )}
      <p class="muted small">
        Verify cap (checks, cannot read): <code>{result.verifyCap}</code>
      </p>
    </section>
  )
}

/** A file by its cap: download it, or check where its shares are (verify: read and hash-check them). */
export function CapSection({
  cap,
  onCapChange,
  nameOf,
}: {
  cap: string
  onCapChange: (cap: string) => void
  /** the name a file had when this page uploaded it */
  nameOf: (cap: string) => string | undefined
}) {
  const [saveAs, setSaveAs] = useState('')
  const [busy, setBusy] = useState<Busy>(null)
  const [transfer, setTransfer] = useState<Transfer | null>(null)
  const [report, setReport] = useState<{ result: CheckResult; deep: boolean } | null>(null)
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null)
  const abort = useRef<AbortController | null>(null)
  const trimmed = cap.trim()

  const valid = (): boolean => {
    if (trimmed.startsWith('URI:')) return true
    setMessage({ tone: 'error', text: 'Paste a cap: it starts with URI:, e.g. URI:CHK:…' })
    return false
  }

  const download = async () => {
    setMessage(null)
    setReport(null)
    if (!valid()) return
    const controller = new AbortController()
    abort.current = controller
    setBusy('download')
    setTransfer({ loaded: 0, total: null })
    const name = saveAs.trim() || nameOf(trimmed) || 'cloudy-file'
    try {
      const blob = await storageApi.download(trimmed, { onProgress: setTransfer, signal: controller.signal })
      saveBlob(blob, name)
      setMessage({
        tone: 'success',
        text: `Downloaded ${formatBytes(blob.size)}, every byte verified; saved as “${name}”.`,
      })
    } catch (err) {
      setMessage({ tone: 'error', text: isAbort(err) ? 'The download was cancelled.' : errorText(err) })
    } finally {
      abort.current = null
      setBusy(null)
      setTransfer(null)
    }
  }

  const check = async (deep: boolean) => {
    setMessage(null)
    setReport(null)
    if (!valid()) return
    setBusy(deep ? 'verify' : 'check')
    try {
      const result = await (deep ? storageApi.verify(trimmed) : storageApi.check(trimmed))
      setReport({ result, deep })
      announce(
        `${deep ? 'Verified' : 'Checked'}: ${verdict(result).word}, ${result.sharesFound} of ${result.total} shares.`,
      )
    } catch (err) {
      setMessage({ tone: 'error', text: errorText(err) })
    } finally {
      setBusy(null)
    }
  }

  return (
    <form
      class="card"
      aria-labelledby="cap-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        void download()
      }}
    >
      <h2 id="cap-title">Download or check a file</h2>
      <div class="field">
        <label for="cap-input">Cap</label>
        <textarea
          id="cap-input"
          rows={3}
          value={cap}
          onInput={(e) => onCapChange(e.currentTarget.value)}
          placeholder="URI:CHK:…"
          autocapitalize="none"
          autocomplete="off"
          spellcheck={false}
          aria-describedby="cap-help"
        />
        <p class="help" id="cap-help">
          A read cap (<code>URI:CHK:</code> or <code>URI:LIT:</code>) downloads the file; a verify cap only
          checks it. <em>Check</em> asks the servers which shares they hold; <em>Verify</em> also reads every
          share and checks its hashes. The cap stays in this page: it never goes into its address.
        </p>
      </div>
      <div class="field">
        <label for="cap-save-as">
          Save as <span class="optional">(optional)</span>
        </label>
        <input
          id="cap-save-as"
          value={saveAs}
          onInput={(e) => setSaveAs(e.currentTarget.value)}
          placeholder={nameOf(trimmed) ?? 'cloudy-file'}
          autocomplete="off"
        />
      </div>
      <div class="actions">
        {busy === 'download' ? (
          <button type="button" class="button" onClick={() => abort.current?.abort()}>
            Cancel download
          </button>
        ) : (
          <button type="submit" class="button button-primary" disabled={busy !== null}>
            Download
          </button>
        )}
        <button type="button" class="button" disabled={busy !== null} onClick={() => void check(false)}>
          {busy === 'check' ? 'Checking…' : 'Check'}
        </button>
        <button type="button" class="button" disabled={busy !== null} onClick={() => void check(true)}>
          {busy === 'verify' ? 'Verifying…' : 'Verify'}
        </button>
      </div>
      {transfer && <TransferProgress label="Download" transfer={transfer} />}
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {report && <CheckReport result={report.result} deep={report.deep} />}
    </form>
  )
}
