import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { PageProps } from './registry.ts'

/**
 * A page whose code loads when it is first shown, so a big page (a later service's, or one with a
 * heavy library) does not weigh on the initial load.
 */
export function lazyPage(
  load: () => Promise<{ default: ComponentType<PageProps> }>,
): ComponentType<PageProps> {
  let loaded: ComponentType<PageProps> | undefined
  return function LazyPage(props: PageProps) {
    const [Page, setPage] = useState(() => loaded)
    const [failed, setFailed] = useState(false)
    useEffect(() => {
      if (Page) return
      load().then(
        (module) => {
          loaded = module.default
          setPage(() => module.default)
        },
        () => setFailed(true),
      )
    }, [Page])
    if (failed) {
      return (
        <p class="notice notice-error" role="alert">
          This page could not be loaded. The node may have been updated: reload the page.
        </p>
      )
    }
    if (!Page) return <p class="loading">Loading…</p>
    return <Page {...props} />
  }
}
