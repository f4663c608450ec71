import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

/**
 * A button for an action that cannot be undone: the first press asks, in words beside it, and
 * offers Confirm and Cancel; focus moves to Confirm.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  busy = false,
}: {
  label: ComponentChildren
  question: string
  confirmLabel: string
  onConfirm: () => void | Promise<void>
  busy?: boolean
}) {
  const [asking, setAsking] = useState(false)
  const confirmRef = useRef<HTMLButtonElement>(null)
  const askRef = useRef<HTMLButtonElement>(null)
  const wasAsking = useRef(false)
  useEffect(() => {
    if (asking) confirmRef.current?.focus()
    else if (wasAsking.current) askRef.current?.focus()
    wasAsking.current = asking
  }, [asking])
  if (!asking) {
    return (
      <button
        ref={askRef}
        type="button"
        class="button button-small button-danger-quiet"
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    )
  }
  return (
    <span class="confirm">
      <span class="confirm-question">{question}</span>
      <button
        ref={confirmRef}
        type="button"
        class="button button-small button-danger"
        disabled={busy}
        onClick={async () => {
          try {
            await onConfirm()
          } finally {
            setAsking(false)
          }
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" class="button button-small" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  )
}
