import { useEffect, useState } from 'preact/hooks'

/**
 * A small history-API router: paths such as /nodes and /services/web (the daemon answers
 * index.html for them, so a reload or a bookmark lands on the same page). Nothing secret is ever
 * put in a URL.
 */

const listeners = new Set<() => void>()

function notify(): void {
  for (const listener of listeners) listener()
}

window.addEventListener('popstate', notify)

export function currentPath(): string {
  return window.location.pathname
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === currentPath()) return
  if (options.replace) window.history.replaceState(null, '', path)
  else window.history.pushState(null, '', path)
  notify()
}

/** The current path; the component renders again when it changes. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath())
  useEffect(() => {
    const listener = () => setPath(currentPath())
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }, [])
  return path
}

/**
 * Matches a path against a pattern with `:name` segments (`:name?` may be absent); answers the
 * decoded parameters, or null.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean)
  const have = path.split('/').filter(Boolean)
  const params: Record<string, string> = {}
  if (have.length > want.length) return null
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string
    const value = have[i]
    if (segment.startsWith(':')) {
      const optional = segment.endsWith('?')
      const name = segment.slice(1, optional ? -1 : undefined)
      if (value === undefined) {
        if (optional) continue
        return null
      }
      try {
        params[name] = decodeURIComponent(value)
      } catch {
        return null
      }
    } else if (segment !== value) return null
  }
  return params
}
