import { useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import type { PublishInput, Service } from '../../api/types.ts'
import { Notice } from '../../components/notice.tsx'

/** The API's input rules (docs/api.md), checked here first so mistakes are named beside the field. */
const TYPE_RE = /^[a-z][a-z0-9-]{0,62}$/
const HOST_RE = /^[A-Za-z0-9._:%[\]-]{1,253}$/
const CONTROL = /\p{Cc}/u

interface Fields {
  type: string
  port: string
  description: string
  host: string
  txt: string
  public: boolean
}

type FieldErrors = Partial<Record<keyof Fields, string>>

const EMPTY: Fields = { type: '', port: '', description: '', host: '', txt: '', public: false }

function parseTxt(text: string): { txt?: Record<string, string>; error?: string } {
  const txt: Record<string, string> = {}
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  for (const [i, line] of lines.entries()) {
    const eq = line.indexOf('=')
    if (eq <= 0) return { error: `Line ${i + 1} is not key=value.` }
    const key = line.slice(0, eq)
    if (!/^[\x21-\x3c\x3e-\x7e]{1,63}$/.test(key)) {
      return { error: `Line ${i + 1}: a key is 1 to 63 printable characters without spaces or "=".` }
    }
    txt[key] = line.slice(eq + 1)
  }
  if (Object.keys(txt).length > 32) return { error: 'At most 32 entries.' }
  return Object.keys(txt).length > 0 ? { txt } : {}
}

function validate(f: Fields): { input?: PublishInput; errors: FieldErrors } {
  const errors: FieldErrors = {}
  const type = f.type.trim()
  if (!TYPE_RE.test(type)) {
    errors.type = 'Use lower-case letters, digits and hyphens, starting with a letter (e.g. web, ssh).'
  }
  const port = Number(f.port)
  if (!/^\d{1,5}$/.test(f.port.trim()) || port < 1 || port > 65535) {
    errors.port = 'A port is a whole number from 1 to 65535.'
  }
  if (f.description.length > 256 || CONTROL.test(f.description)) {
    errors.description = 'At most 256 characters, on one line.'
  }
  const host = f.host.trim()
  if (host !== '' && !HOST_RE.test(host)) errors.host = 'A DNS name or an IP address, without spaces.'
  const txt = parseTxt(f.txt)
  if (txt.error) errors.txt = txt.error
  if (Object.keys(errors).length > 0) return { errors }
  return {
    errors,
    input: {
      type,
      port,
      ...(f.description.trim() && { description: f.description.trim() }),
      ...(host && { host }),
      ...(txt.txt && { txt: txt.txt }),
      ...(f.public && { public: true }),
    },
  }
}

/** Publishes a service of this node in the cloud's catalogue. */
export function PublishForm({
  knownTypes,
  defaultHost,
  onPublished,
}: {
  knownTypes: string[]
  defaultHost: string | undefined
  onPublished: (service: Service) => void
}) {
  const [fields, setFields] = useState<Fields>(EMPTY)
  const [errors, setErrors] = useState<FieldErrors>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const set = <K extends keyof Fields>(key: K, value: Fields[K]) => setFields((f) => ({ ...f, [key]: value }))

  const submit = async (event: Event) => {
    event.preventDefault()
    setDone(null)
    setFailure(null)
    const { input, errors: found } = validate(fields)
    setErrors(found)
    if (!input) {
      const first = Object.keys(found)[0]
      if (first) document.getElementById(`publish-${first}`)?.focus()
      return
    }
    setBusy(true)
    try {
      const service = await api.publish(input)
      onPublished(service)
      setFields(EMPTY)
      setDone(
        `Published ${service.type} on port ${service.port}. Every member of the cloud sees it within a few seconds.`,
      )
    } catch (err) {
      setFailure(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const describedBy = (key: keyof Fields, help?: boolean) =>
    [help ? `publish-${key}-help` : '', errors[key] ? `publish-${key}-error` : '']
      .filter(Boolean)
      .join(' ') || undefined

  const fieldError = (key: keyof Fields) =>
    errors[key] ? (
      <p id={`publish-${key}-error`} class="field-error">
        {errors[key]}
      </p>
    ) : null

  return (
    <form class="card" aria-labelledby="publish-title" onSubmit={submit} noValidate>
      <h2 id="publish-title">Publish a service</h2>
      <p class="muted">
        Announce a service that runs on this node to every member of the cloud. The node checks every few
        seconds that its port answers, and hides it from the cloud while it does not.
      </p>
      <div class="form-grid">
        <div class="field">
          <label for="publish-type">Type</label>
          <input
            id="publish-type"
            name="type"
            list="publish-types"
            value={fields.type}
            onInput={(e) => set('type', e.currentTarget.value)}
            placeholder="web"
            autocapitalize="none"
            spellcheck={false}
            aria-invalid={errors.type !== undefined}
            aria-describedby={describedBy('type')}
            required
          />
          <datalist id="publish-types">
            {knownTypes.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          {fieldError('type')}
        </div>
        <div class="field">
          <label for="publish-port">Port</label>
          <input
            id="publish-port"
            name="port"
            inputMode="numeric"
            value={fields.port}
            onInput={(e) => set('port', e.currentTarget.value)}
            placeholder="8080"
            aria-invalid={errors.port !== undefined}
            aria-describedby={describedBy('port')}
            required
          />
          {fieldError('port')}
        </div>
      </div>
      <div class="field">
        <label for="publish-description">
          Description <span class="optional">optional</span>
        </label>
        <input
          id="publish-description"
          name="description"
          value={fields.description}
          onInput={(e) => set('description', e.currentTarget.value)}
          placeholder="Community wiki"
          maxLength={256}
          aria-invalid={errors.description !== undefined}
          aria-describedby={describedBy('description')}
        />
        {fieldError('description')}
      </div>
      <div class="field">
        <label for="publish-host">
          Host <span class="optional">optional</span>
        </label>
        <input
          id="publish-host"
          name="host"
          value={fields.host}
          onInput={(e) => set('host', e.currentTarget.value)}
          placeholder={defaultHost ?? ''}
          autocapitalize="none"
          spellcheck={false}
          aria-invalid={errors.host !== undefined}
          aria-describedby={describedBy('host', true)}
        />
        <p id="publish-host-help" class="help">
          Where members reach it; empty means this node's address{defaultHost ? ` (${defaultHost})` : ''}.
        </p>
        {fieldError('host')}
      </div>
      <div class="field">
        <label for="publish-txt">
          TXT entries <span class="optional">optional</span>
        </label>
        <textarea
          id="publish-txt"
          name="txt"
          rows={2}
          value={fields.txt}
          onInput={(e) => set('txt', e.currentTarget.value)}
          placeholder="path=/wiki"
          autocapitalize="none"
          spellcheck={false}
          aria-invalid={errors.txt !== undefined}
          aria-describedby={describedBy('txt', true)}
        />
        <p id="publish-txt-help" class="help">
          One <code>key=value</code> per line, e.g. <code>path=/wiki</code> for a web service.
        </p>
        {fieldError('txt')}
      </div>
      <div class="field field-check">
        <input
          id="publish-public"
          type="checkbox"
          checked={fields.public}
          onChange={(e) => set('public', e.currentTarget.checked)}
          aria-describedby="publish-public-help"
        />
        <div>
          <label for="publish-public">Also announce it on the local network</label>
          <p id="publish-public-help" class="help">
            Mirrors it to DNS-SD (mDNS) on this node's LAN. Never for a service whose TXT entries hold a
            secret.
          </p>
        </div>
      </div>
      {failure && (
        <Notice tone="error" title="The service was not published">
          {failure}
        </Notice>
      )}
      {done && <Notice tone="success">{done}</Notice>}
      <button type="submit" class="button button-primary" disabled={busy}>
        {busy ? 'Publishing…' : 'Publish'}
      </button>
    </form>
  )
}
