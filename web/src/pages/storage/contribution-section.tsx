import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { api, errorText } from '../../api/client.ts'
import type { BuiltinService } from '../../api/types.ts'
import { formatBytes, parseSize } from '../../components/format.ts'
import { Meter } from '../../components/meter.tsx'
import { Notice } from '../../components/notice.tsx'
import { cloudStore } from '../../live/cloud-store.ts'
import type { LocalStorage } from './storage-api.ts'

type Message = { tone: 'success' | 'error' | 'info'; text: string }

function putView(view: BuiltinService): void {
  cloudStore.update({ builtins: cloudStore.state.builtins.map((b) => (b.name === view.name ? view : b)) })
}

function Stat({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  )
}

/**
 * This node's storage server: a switch for the built-in service (the same as `cloudy service
 * enable|disable storage`), its capacity, and what it holds.
 */
export function ContributionSection({
  service,
  local,
  available,
  onChanged,
}: {
  service: BuiltinService
  local: LocalStorage | null
  /** what the server accepts now, from its version answer */
  available: number | null
  onChanged: () => void
}) {
  const capacity = typeof service.options.capacity === 'number' ? service.options.capacity : 0
  const [text, setText] = useState(capacity > 0 ? formatBytes(capacity) : '')
  const [busy, setBusy] = useState<'switch' | 'save' | null>(null)
  const [message, setMessage] = useState<Message | null>(null)
  const on = service.enabled
  // while it switches, the switch shows where it goes
  const shown = busy === 'switch' ? !on : on

  const run = async (
    kind: 'switch' | 'save',
    call: () => Promise<BuiltinService>,
    done: (v: BuiltinService) => Message,
  ) => {
    setBusy(kind)
    setMessage(null)
    try {
      const view = await call()
      putView(view)
      setMessage(view.error ? { tone: 'error', text: view.error } : done(view))
      onChanged()
    } catch (err) {
      setMessage({ tone: 'error', text: errorText(err) })
    } finally {
      setBusy(null)
    }
  }

  const toggle = () =>
    run(
      'switch',
      () => (on ? api.disableBuiltin('storage') : api.enableBuiltin('storage', service.options)),
      (view) =>
        view.enabled
          ? { tone: 'success', text: 'The storage server runs: the cloud can store shares on this node.' }
          : {
              tone: 'info',
              text: 'The storage server is off. The shares it holds stay on the disk, but the cloud cannot read them until you switch it on again.',
            },
    )

  const save = (event: Event) => {
    event.preventDefault()
    const bytes = text.trim() === '' ? 0 : parseSize(text)
    if (bytes === undefined || bytes < 0) {
      setMessage({
        tone: 'error',
        text: 'Enter a size such as 20 GiB, 500 GB or 1.5 TB, or nothing for the whole disk.',
      })
      return
    }
    return run(
      'save',
      () => api.enableBuiltin('storage', { ...service.options, capacity: bytes }),
      () => ({
        tone: 'success',
        text:
          bytes > 0
            ? `This node now offers ${formatBytes(bytes)} to the cloud.`
            : 'This node now offers what its disk allows, keeping the reserved space free.',
      }),
    )
  }

  const used = local?.bytesUsed ?? 0
  const total = local?.capacity ?? (available === null ? null : used + available)

  return (
    <section class="card" aria-labelledby="contribution-title">
      <h2 id="contribution-title">This node's contribution</h2>
      <div class="storage-switch-row">
        <label class="storage-switch">
          <input
            type="checkbox"
            role="switch"
            checked={shown}
            aria-checked={shown}
            disabled={busy !== null}
            onChange={() => void toggle()}
            aria-describedby="contribution-state"
          />
          <span class="storage-switch-track" aria-hidden="true" />
          <span>Storage server</span>
        </label>
        <span id="contribution-state" class="muted">
          {busy === 'switch'
            ? on
              ? 'Switching off…'
              : 'Switching on…'
            : service.running
              ? `On${service.port ? `, port ${service.port}` : ''}`
              : on
                ? 'On, but not running'
                : 'Off'}
        </span>
      </div>
      <p class="muted">
        Holds encrypted shares of the cloud's files on this node's disk; it never sees what they contain. The
        same as <code>cloudy service enable storage</code>.
      </p>
      {service.error && on && (
        <Notice tone="error" title="The storage server did not start">
          {service.error}
        </Notice>
      )}
      {local && (
        <>
          <dl class="storage-stats">
            <Stat label="Shares">{local.shares}</Stat>
            <Stat label="Used">{formatBytes(local.bytesUsed)}</Stat>
            <Stat label="Capacity">
              {local.capacity === null ? 'whole disk' : formatBytes(local.capacity)}
            </Stat>
            <Stat label="Available">{available === null ? '—' : formatBytes(available)}</Stat>
            <Stat label="Kept free">{formatBytes(local.reservedSpace)}</Stat>
            {local.uploadsInProgress > 0 && <Stat label="Uploads now">{local.uploadsInProgress}</Stat>}
          </dl>
          {total !== null && total > 0 && (
            <Meter
              label="Space used by shares"
              used={used}
              total={total}
              text={`${formatBytes(used)} of ${formatBytes(total)}`}
            />
          )}
        </>
      )}
      <form class="field" onSubmit={save} noValidate>
        <label for="contribution-capacity">Capacity</label>
        <div class="inline-field">
          <input
            id="contribution-capacity"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            placeholder="whole disk"
            aria-describedby="contribution-capacity-help"
          />
          <button type="submit" class="button" disabled={busy !== null}>
            {busy === 'save' ? 'Saving…' : on ? 'Save' : 'Save and switch on'}
          </button>
        </div>
        <p class="help" id="contribution-capacity-help">
          How much of the disk the cloud may use, e.g. 20 GiB; empty: what the disk allows.
        </p>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </section>
  )
}
