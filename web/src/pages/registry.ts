import type { ComponentType } from 'preact'
import type { IconName } from '../components/icon.tsx'
import type { CloudState } from '../live/cloud-store.ts'

/** What a page receives: the parameters of its path pattern. */
export interface PageProps {
  params: Record<string, string>
}

/** Where a page sits in the navigation. */
export type NavGroup = 'cloud' | 'services' | 'node'

export const NAV_GROUPS: { id: NavGroup; label: string }[] = [
  { id: 'cloud', label: 'Cloud' },
  { id: 'services', label: 'Services' },
  { id: 'node', label: 'This node' },
]

/**
 * A page of the dashboard. The shell builds the navigation and the routes from the registered
 * pages, so a later part (storage, files, torrents, ...) adds its page with one registerPage call
 * in its own module, imported by pages/index.ts; see docs/dashboard.md.
 */
export interface PageDefinition {
  id: string
  title: string
  /** path pattern with `:name` and optional `:name?` segments, e.g. /services/:type? */
  path: string
  /** the link in the navigation; default the path */
  href?: string
  group: NavGroup
  icon: IconName
  /** position within its group; lower first */
  order: number
  /** show the page only when this holds, e.g. when its built-in service exists on this node */
  available?: (cloud: CloudState) => boolean
  component: ComponentType<PageProps>
}

const pages: PageDefinition[] = []

export function registerPage(page: PageDefinition): void {
  if (pages.some((p) => p.id === page.id)) throw new Error(`page "${page.id}" is registered twice`)
  pages.push(page)
  pages.sort((a, b) => a.order - b.order)
}

/** The registered pages available on this node, in navigation order. */
export function availablePages(cloud: CloudState): PageDefinition[] {
  return pages.filter((p) => p.available === undefined || p.available(cloud))
}

export function pageHref(page: PageDefinition): string {
  return page.href ?? page.path.replace(/\/:[^/]+\?/g, '')
}
