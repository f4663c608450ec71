import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { User } from '../api/types.ts'
import { useAnnouncement } from '../live/announcer.ts'
import type { CloudState } from '../live/cloud-store.ts'
import { NAV_GROUPS, type PageDefinition, pageHref } from '../pages/registry.ts'
import { Link } from '../router/link.tsx'
import { Icon } from './icon.tsx'

const CONNECTION: Record<CloudState['connection'], { tone: string; text: string }> = {
  connecting: { tone: 'neutral', text: 'Connecting…' },
  live: { tone: 'good', text: 'Live updates on' },
  reconnecting: { tone: 'warn', text: 'Reconnecting…' },
}

function Brand({ cloud }: { cloud: CloudState }) {
  return (
    <div class="brand">
      <span class="brand-mark" aria-hidden="true">
        <Icon name="cloud" size={20} />
      </span>
      <span class="brand-text">
        <span class="brand-name">Cloudy</span>
        <span class="brand-sub">
          {cloud.status
            ? `${cloud.status.name}${cloud.status.cloud ? ` · ${cloud.status.cloud.name}` : ''}`
            : ' '}
        </span>
      </span>
    </div>
  )
}

/**
 * The frame of every page after login: a sidebar with the registered pages (a top bar with a menu
 * on phones), the connection state, the user and Log out, and a live region for announcements.
 */
export function Shell({
  pages,
  current,
  cloud,
  user,
  onLogout,
  children,
}: {
  pages: PageDefinition[]
  current: PageDefinition | undefined
  cloud: CloudState
  user: User
  onLogout: () => void
  children: ComponentChildren
}) {
  const [menuOpen, setMenuOpen] = useState(false)
  const menuButton = useRef<HTMLButtonElement>(null)
  const announcement = useAnnouncement()
  const connection = CONNECTION[cloud.connection]

  useEffect(() => {
    if (!menuOpen) return
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setMenuOpen(false)
        menuButton.current?.focus()
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [menuOpen])

  return (
    <div class="app">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Brand cloud={cloud} />
        <button
          ref={menuButton}
          type="button"
          class="button button-icon menu-button"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          <Icon name={menuOpen ? 'close' : 'menu'} size={20} />
          <span>Menu</span>
        </button>
      </header>
      <aside class={`sidebar${menuOpen ? ' open' : ''}`} id="sidebar">
        <div class="sidebar-brand">
          <Brand cloud={cloud} />
        </div>
        <nav aria-label="Main">
          {NAV_GROUPS.map((group) => {
            const inGroup = pages.filter((p) => p.group === group.id)
            if (inGroup.length === 0) return null
            return (
              <div class="nav-group" key={group.id}>
                <p class="nav-group-label" id={`nav-${group.id}`}>
                  {group.label}
                </p>
                <ul aria-labelledby={`nav-${group.id}`}>
                  {inGroup.map((page) => (
                    <li key={page.id}>
                      <Link
                        href={pageHref(page)}
                        class="nav-link"
                        aria-current={page === current ? 'page' : undefined}
                        onClick={() => setMenuOpen(false)}
                      >
                        <Icon name={page.icon} />
                        <span>{page.title}</span>
                      </Link>
                    </li>
                  ))}
                </ul>
              </div>
            )
          })}
        </nav>
        <div class="sidebar-footer">
          <p class={`connection connection-${connection.tone}`}>
            <span class="badge-dot" aria-hidden="true" />
            {connection.text}
          </p>
          <div class="user">
            <span class="user-name">
              Signed in as <strong>{user.username}</strong>
            </span>
            <button type="button" class="button button-small" onClick={onLogout}>
              <Icon name="logout" size={14} />
              Log out
            </button>
          </div>
        </div>
      </aside>
      <main id="main" tabIndex={-1}>
        {cloud.error && (
          <div class="banner banner-error" role="alert">
            {cloud.error}
          </div>
        )}
        {children}
      </main>
      <div class="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
    </div>
  )
}
