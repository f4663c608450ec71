import type { ComponentChildren, TargetedKeyboardEvent } from 'preact'
import { useRef } from 'preact/hooks'

export interface TabItem {
  id: string
  label: ComponentChildren
}

/**
 * ARIA tabs: one tab stop; arrow keys, Home and End move between tabs and select them. The panel
 * the tabs control follows as children.
 */
export function Tabs({
  label,
  items,
  selected,
  onSelect,
  idPrefix,
  children,
}: {
  label: string
  items: TabItem[]
  selected: string
  onSelect: (id: string) => void
  idPrefix: string
  children: ComponentChildren
}) {
  const listRef = useRef<HTMLDivElement>(null)
  const focusTab = (index: number) => {
    const item = items[(index + items.length) % items.length]
    if (!item) return
    onSelect(item.id)
    listRef.current?.querySelector<HTMLButtonElement>(`#${CSS.escape(`${idPrefix}-tab-${item.id}`)}`)?.focus()
  }
  const onKeyDown = (event: TargetedKeyboardEvent<HTMLDivElement>) => {
    const index = items.findIndex((i) => i.id === selected)
    const moves: Record<string, number> = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      Home: 0,
      End: items.length - 1,
    }
    const target = moves[event.key]
    if (target === undefined) return
    event.preventDefault()
    focusTab(target)
  }
  return (
    <div class="tabs">
      <div class="tab-list" role="tablist" aria-label={label} ref={listRef} onKeyDown={onKeyDown}>
        {items.map((item) => {
          const active = item.id === selected
          return (
            <button
              key={item.id}
              type="button"
              role="tab"
              id={`${idPrefix}-tab-${item.id}`}
              aria-selected={active}
              aria-controls={`${idPrefix}-panel`}
              tabIndex={active ? 0 : -1}
              class="tab"
              onClick={() => onSelect(item.id)}
            >
              {item.label}
            </button>
          )
        })}
      </div>
      <div
        class="tab-panel"
        role="tabpanel"
        id={`${idPrefix}-panel`}
        aria-labelledby={`${idPrefix}-tab-${selected}`}
      >
        {children}
      </div>
    </div>
  )
}
