import type { ComponentChildren } from 'preact'

type NoticeTone = 'info' | 'success' | 'warning' | 'error'

/**
 * A message in a box: errors are announced at once (role=alert), the rest politely. The text is
 * always in words; never a raw error or stack trace.
 */
export function Notice({
  tone,
  title,
  children,
}: {
  tone: NoticeTone
  title?: string
  children?: ComponentChildren
}) {
  return (
    <div class={`notice notice-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {title && <p class="notice-title">{title}</p>}
      {children && <div class="notice-body">{children}</div>}
    </div>
  )
}

/** Shows an error message when there is one; keeps its live region in place when there is not. */
export function ErrorText({ message }: { message: string | null | undefined }) {
  return (
    <div class="form-error" role="alert">
      {message ? message : null}
    </div>
  )
}
