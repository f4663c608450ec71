import type { ComponentChildren } from 'preact'
import { Icon, type IconName } from './icon.tsx'

/** What a page shows when it has nothing yet: what that means and what to do next. */
export function EmptyState({
  icon,
  title,
  children,
}: {
  icon: IconName
  title: string
  children: ComponentChildren
}) {
  return (
    <div class="empty">
      <span class="empty-icon">
        <Icon name={icon} size={28} />
      </span>
      <p class="empty-title">{title}</p>
      <div class="empty-body">{children}</div>
    </div>
  )
}
