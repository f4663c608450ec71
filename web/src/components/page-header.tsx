import type { ComponentChildren } from 'preact'

/** The page's heading (focused after navigation, so screen readers announce the new page). */
export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: string
  subtitle?: ComponentChildren
  actions?: ComponentChildren
}) {
  return (
    <header class="page-header">
      <div>
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {subtitle && <p class="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </header>
  )
}
