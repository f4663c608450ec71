/** The node events whose arrival in the page the benchmark times. */
const PROBED_EVENTS = [
  'service:published',
  'service:removed',
  'member:suspected',
  'member:died',
  'member:joined',
  'member:recovered',
]

/** What a watch waits for: every `all` selector matches, no `none` selector does, and the text. */
export interface WatchSpec {
  all?: string[]
  none?: string[]
  /** a selector whose element's trimmed text must equal the string */
  text?: [string, string]
}

/** When a watch was satisfied, by the page's clock (performance.timeOrigin + performance.now()). */
export interface WatchHit {
  /** in the MutationObserver callback of the change that satisfied it: the DOM has it */
  domAt: number
  /** in the next animation frame: the frame that paints it; null if no frame came within 1 s */
  frameAt: number | null
  /** it held already when the watch was set */
  already: boolean
}

/** A page of the dashboard to load: its path, its h1 and when its data is shown. */
export interface LoadTarget {
  path: string
  title: string
  /** besides the heading: the page shows its data (no "Loading…" and these selectors) */
  ready: WatchSpec
}

/** The first render of a page after a navigation, in ms since navigation start. */
export interface LoadTimes {
  headingDom: number | null
  headingFrame: number | null
  readyDom: number | null
  fcp: number | null
  responseEnd: number | null
  domContentLoaded: number | null
}

/**
 * Injected into every document before its own scripts (addInitScript), as plain JavaScript: a
 * string, so that nothing the TypeScript loader adds to functions reaches the page.
 *
 * - wraps EventSource so that the page's own stream timestamps the events the benchmark times as
 *   they are dispatched (before the dashboard's listeners, which are added after ours);
 * - `watch(spec)` arms a MutationObserver-driven wait for a DOM condition, `result(id, ms)` awaits it;
 * - on a path of `targets`, arms the heading and ready watches at document start, for `load(ms)`.
 */
export function probeScript(targets: LoadTarget[]): string {
  const config = JSON.stringify({ events: PROBED_EVENTS, targets })
  return `(() => {
  if (window.__bench) return
  const config = ${config}
  const now = () => performance.timeOrigin + performance.now()
  const events = []
  const keyOf = (name, d) =>
    name.startsWith('service:') ? d.nodeName + '/' + d.type + '/' + d.port : String(d.name)
  const Native = window.EventSource
  if (Native) {
    window.EventSource = class extends Native {
      constructor(url, init) {
        super(url, init)
        for (const name of config.events) {
          this.addEventListener(name, (m) => {
            const at = now()
            let d = {}
            try { d = JSON.parse(m.data) } catch {}
            events.push({ event: name, key: keyOf(name, d), status: d.status, at })
            if (events.length > 5000) events.splice(0, 2500)
          })
        }
      }
    }
  }

  const watches = new Map()
  let nextId = 1
  const matches = (spec) => {
    for (const sel of spec.all || []) if (!document.querySelector(sel)) return false
    for (const sel of spec.none || []) if (document.querySelector(sel)) return false
    if (spec.text) {
      const el = document.querySelector(spec.text[0])
      if (!el || el.textContent.trim() !== spec.text[1]) return false
    }
    return true
  }
  const settle = (w, already) => {
    w.done = true
    const domAt = now()
    let fired = false
    const finish = (frameAt) => {
      if (fired) return
      fired = true
      w.resolve({ domAt, frameAt, already })
    }
    requestAnimationFrame(() => finish(now()))
    setTimeout(() => finish(null), 1000)
  }
  const check = () => {
    for (const w of watches.values()) if (!w.done && matches(w.spec)) settle(w, false)
  }
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  })
  const watch = (spec) => {
    const id = nextId++
    const w = { spec, done: false }
    w.promise = new Promise((r) => { w.resolve = r })
    watches.set(id, w)
    if (matches(spec)) settle(w, true)
    return id
  }
  const result = (id, timeoutMs) => {
    const w = watches.get(id)
    if (!w) return Promise.resolve(null)
    return Promise.race([w.promise, new Promise((r) => setTimeout(() => r(null), timeoutMs))]).then((v) => {
      watches.delete(id)
      return v
    })
  }
  const eventAt = (from, event, key, status) => {
    for (let i = from; i < events.length; i++) {
      const e = events[i]
      if (e.event === event && e.key === key && (status === undefined || e.status === status)) return e.at
    }
    return null
  }

  const target = config.targets.find((t) => t.path === location.pathname)
  const heading = target ? watch({ text: ['h1#page-title', target.title] }) : 0
  const ready = target
    ? watch({
        all: target.ready.all || [],
        none: ['.loading'].concat(target.ready.none || []),
        text: ['h1#page-title', target.title],
      })
    : 0
  const load = async (timeoutMs) => {
    if (!target) return null
    const [h, r] = await Promise.all([result(heading, timeoutMs), result(ready, timeoutMs)])
    const nav = performance.getEntriesByType('navigation')[0]
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]
    const since = (t) => (t === null || t === undefined ? null : t - performance.timeOrigin)
    return {
      headingDom: h ? since(h.domAt) : null,
      headingFrame: h ? since(h.frameAt) : null,
      readyDom: r ? since(r.domAt) : null,
      fcp: fcp ? fcp.startTime : null,
      responseEnd: nav ? nav.responseEnd : null,
      domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
    }
  }

  window.__bench = { now, mark: () => events.length, eventAt, watch, result, load }
})()
`
}
