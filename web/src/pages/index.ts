import EventsPage from './events/events-page.tsx'
import { lazyPage } from './lazy-page.tsx'
import NodesPage from './nodes/nodes-page.tsx'
import OverviewPage from './overview/overview-page.tsx'
import { registerPage } from './registry.ts'
import ServicesPage from './services/services-page.tsx'

/**
 * The dashboard's pages. A later part adds its own with registerPage (group 'services', and an
 * `available` test on its built-in service), imported here; see docs/dashboard.md.
 */
registerPage({
  id: 'overview',
  title: 'Overview',
  path: '/',
  group: 'cloud',
  icon: 'overview',
  order: 10,
  component: OverviewPage,
})
registerPage({
  id: 'nodes',
  title: 'Nodes',
  path: '/nodes/:view?',
  group: 'cloud',
  icon: 'nodes',
  order: 20,
  component: NodesPage,
})
registerPage({
  id: 'services',
  title: 'Services',
  path: '/services/:type?',
  group: 'cloud',
  icon: 'services',
  order: 30,
  component: ServicesPage,
})
registerPage({
  id: 'events',
  title: 'Events',
  path: '/events',
  group: 'cloud',
  icon: 'events',
  order: 40,
  component: EventsPage,
})
registerPage({
  id: 'storage',
  title: 'Storage',
  path: '/storage',
  group: 'services',
  icon: 'storage',
  order: 10,
  // every node is a gateway to the cloud's storage; the page also switches its own server on and off
  available: (cloud) => cloud.builtins.some((b) => b.name === 'storage'),
  // with its own styles, loaded when first opened
  component: lazyPage(() => import('./storage/storage-page.tsx')),
})
registerPage({
  id: 'torrents',
  title: 'Torrents',
  path: '/torrents',
  group: 'services',
  icon: 'torrents',
  order: 40,
  available: (cloud) => cloud.builtins.some((b) => b.name === 'torrents'),
  // with its own styles, loaded when first opened
  component: lazyPage(() => import('./torrents/torrents-page.tsx')),
})
registerPage({
  id: 'settings',
  title: 'Settings',
  path: '/settings',
  group: 'node',
  icon: 'settings',
  order: 90,
  // with the QR code encoder, loaded when first opened
  component: lazyPage(() => import('./settings/settings-page.tsx')),
})
