import { useEffect, useRef, useState } from 'preact/hooks'
import { api, setCsrfToken, setSessionEndedHandler } from './api/client.ts'
import type { Session, User } from './api/types.ts'
import { Shell } from './components/shell.tsx'
import { announce } from './live/announcer.ts'
import { cloudStore } from './live/cloud-store.ts'
import { describeEvent, isNotable } from './live/describe-event.ts'
import { useCloud } from './live/use-cloud.ts'
import { LoginPage } from './pages/login-page.tsx'
import { NotFoundPage } from './pages/not-found-page.tsx'
import { availablePages, type PageDefinition } from './pages/registry.ts'
import { matchPath, usePath } from './router/router.ts'

type Auth = { state: 'checking' } | { state: 'out'; reason?: string } | { state: 'in'; user: User }

function findPage(pages: PageDefinition[], path: string) {
  for (const page of pages) {
    const params = matchPath(page.path, path)
    if (params) return { page, params }
  }
  return undefined
}

function Routed({ user, onLogout }: { user: User; onLogout: () => void }) {
  const path = usePath()
  const cloud = useCloud()
  const pages = availablePages(cloud)
  const found = findPage(pages, path)

  useEffect(() => {
    const name = cloud.status?.name
    document.title = `${found?.page.title ?? 'Not found'}${name ? ` · ${name}` : ''} · Cloudy`
  }, [found?.page, cloud.status?.name])

  // after moving to another page, focus its heading so screen readers announce it (a tab within a
  // page, such as /services/web, keeps the focus where it is)
  const pageId = found?.page.id
  const shownPage = useRef(pageId)
  useEffect(() => {
    if (pageId === shownPage.current) return
    shownPage.current = pageId
    requestAnimationFrame(() => document.getElementById('page-title')?.focus())
  }, [pageId])

  useEffect(() => cloudStore.onEvent((e) => isNotable(e) && announce(describeEvent(e))), [])

  let content = null
  if (found) content = <found.page.component params={found.params} />
  else if (!cloud.loaded) content = <p class="loading">Loading…</p>
  else content = <NotFoundPage />

  return (
    <Shell pages={pages} current={found?.page} cloud={cloud} user={user} onLogout={onLogout}>
      {content}
    </Shell>
  )
}

/** Login gate, then the shell with the page the path names. */
export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' })

  useEffect(() => {
    setSessionEndedHandler(() => {
      setCsrfToken(undefined)
      setAuth((current) =>
        current.state === 'in' ? { state: 'out', reason: 'Your session has ended. Log in again.' } : current,
      )
    })
    api.me().then(
      (me) => {
        setCsrfToken(me.csrfToken)
        setAuth({ state: 'in', user: me.user })
      },
      () => setAuth({ state: 'out' }),
    )
  }, [])

  useEffect(() => {
    if (auth.state !== 'in') return
    cloudStore.start()
    return () => cloudStore.stop()
  }, [auth.state])

  const onLogin = (session: Session) => {
    setCsrfToken(session.csrfToken)
    setAuth({ state: 'in', user: session.user })
  }

  const onLogout = async () => {
    await api.logout().catch(() => {})
    setCsrfToken(undefined)
    setAuth({ state: 'out', reason: 'You have logged out.' })
  }

  if (auth.state === 'checking') return <p class="loading boot">Loading…</p>
  if (auth.state === 'out')
    return <LoginPage onLogin={onLogin} {...(auth.reason && { reason: auth.reason })} />
  return <Routed user={auth.user} onLogout={onLogout} />
}
