import { type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core'
import { CHROMIUM, DESKTOP, logIn, openFromNav } from '../../test/e2e/browser.ts'
import { now } from './cloud.ts'
import { type LoadTarget, type LoadTimes, probeScript, type WatchHit, type WatchSpec } from './page-probe.ts'

/** One request of a page load as the DevTools protocol saw it. */
interface NetRequest {
  url: string
  type: string
  /** bytes received over the network, headers included (0 when served from a cache) */
  bytes: number
  fromCache: boolean
  status?: number
  encoding?: string
  done: boolean
}

/** What a page load transferred, by kind. */
export interface Transfer {
  documentBytes: number
  assetBytes: number
  apiBytes: number
  totalBytes: number
  requests: number
  /** requests answered from the browser's cache */
  cached: number
  /** content-encoding of each script and stylesheet received, e.g. { gzip: 2 } */
  encodings: Record<string, number>
  /** the requests themselves, for the report's detail */
  items: {
    path: string
    type: string
    bytes: number
    fromCache: boolean
    status?: number
    encoding?: string
  }[]
}

/** Requests of the current page, from Network.* events, so a load's transferred bytes can be counted. */
class NetLog {
  readonly #requests = new Map<string, NetRequest>()

  constructor(cdp: CDPSession) {
    cdp.on('Network.requestWillBeSent', (e) => {
      this.#requests.set(e.requestId, {
        url: e.request.url,
        type: e.type ?? 'Other',
        bytes: 0,
        fromCache: false,
        done: false,
      })
    })
    cdp.on('Network.requestServedFromCache', (e) => {
      const r = this.#requests.get(e.requestId)
      if (r) r.fromCache = true
    })
    cdp.on('Network.responseReceived', (e) => {
      const r = this.#requests.get(e.requestId)
      if (!r) return
      r.status = e.response.status
      if (e.response.fromDiskCache || e.response.fromPrefetchCache) r.fromCache = true
      const headers = Object.fromEntries(
        Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
      )
      if (headers['content-encoding']) r.encoding = headers['content-encoding']
    })
    cdp.on('Network.loadingFinished', (e) => {
      const r = this.#requests.get(e.requestId)
      if (!r) return
      r.bytes = e.encodedDataLength
      r.done = true
    })
    cdp.on('Network.loadingFailed', (e) => {
      const r = this.#requests.get(e.requestId)
      if (r) r.done = true
    })
  }

  reset(): void {
    this.#requests.clear()
  }

  /** Waits until no request but the event stream is open for `quietMs`, at most `maxMs`. */
  async quiet(quietMs: number, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs
    let quietSince = Date.now()
    while (Date.now() < deadline) {
      const busy = [...this.#requests.values()].some((r) => !r.done && r.type !== 'EventSource')
      if (busy) quietSince = Date.now()
      else if (Date.now() - quietSince >= quietMs) return
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  transfer(): Transfer {
    const t: Transfer = {
      documentBytes: 0,
      assetBytes: 0,
      apiBytes: 0,
      totalBytes: 0,
      requests: 0,
      cached: 0,
      encodings: {},
      items: [],
    }
    for (const r of this.#requests.values()) {
      if (r.type === 'EventSource') continue
      const path = new URL(r.url).pathname
      t.requests++
      if (r.fromCache) t.cached++
      if (r.type === 'Document') t.documentBytes += r.bytes
      else if (path.startsWith('/api/')) t.apiBytes += r.bytes
      else t.assetBytes += r.bytes
      t.totalBytes += r.bytes
      if ((r.type === 'Script' || r.type === 'Stylesheet') && !r.fromCache && r.status === 200) {
        const enc = r.encoding ?? 'identity'
        t.encodings[enc] = (t.encodings[enc] ?? 0) + 1
      }
      t.items.push({
        path,
        type: r.type,
        bytes: r.bytes,
        fromCache: r.fromCache,
        ...(r.status !== undefined && { status: r.status }),
        ...(r.encoding !== undefined && { encoding: r.encoding }),
      })
    }
    return t
  }
}

/** How far the page's clock is ahead of this process's, measured by a round trip. */
export interface ClockOffset {
  offsetMs: number
  /** the round trip of the measurement: the offset is known to ± half of it */
  rttMs: number
}

/**
 * Debian's chromium, headless with the background-networking flags of test/e2e/browser.ts, in a
 * profile dir of this run (removed by the caller), with one page logged in to a node's dashboard.
 * Playwright's own SIGINT/SIGTERM handling is off: the benchmark's teardown closes it.
 */
export class Dashboard {
  readonly context: BrowserContext
  readonly page: Page
  readonly cdp: CDPSession
  readonly #net: NetLog
  readonly version: string

  private constructor(context: BrowserContext, page: Page, cdp: CDPSession, version: string) {
    this.context = context
    this.page = page
    this.cdp = cdp
    this.#net = new NetLog(cdp)
    this.version = version
  }

  static async launch(userDataDir: string, targets: LoadTarget[]): Promise<Dashboard> {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: DESKTOP,
      reducedMotion: 'reduce',
      colorScheme: 'light',
    })
    try {
      await context.addInitScript({ content: probeScript(targets) })
      const page = context.pages()[0] ?? (await context.newPage())
      const cdp = await context.newCDPSession(page)
      const { product } = await cdp.send('Browser.getVersion')
      return new Dashboard(context, page, cdp, product)
    } catch (err) {
      await context.close().catch(() => {})
      throw err
    }
  }

  logIn(apiUrl: string, password: string): Promise<void> {
    return logIn(this.page, apiUrl, password)
  }

  openFromNav(title: string): Promise<void> {
    return openFromNav(this.page, title)
  }

  /** Calls a method of the probe (page-probe.ts) with JSON arguments. */
  #call<T>(method: string, ...args: unknown[]): Promise<T> {
    const list = args.map((a) => (a === undefined ? 'undefined' : JSON.stringify(a))).join(', ')
    return this.page.evaluate(`window.__bench.${method}(${list})`) as Promise<T>
  }

  /** The page's clock minus this process's, from the tightest of a few round trips. */
  async clockOffset(tries = 5): Promise<ClockOffset> {
    let best: ClockOffset = { offsetMs: Number.NaN, rttMs: Number.POSITIVE_INFINITY }
    for (let i = 0; i < tries; i++) {
      const before = now()
      const pageNow = await this.#call<number>('now')
      const after = now()
      if (after - before < best.rttMs)
        best = { offsetMs: pageNow - (before + after) / 2, rttMs: after - before }
    }
    return best
  }

  /** Arms a wait for a DOM condition in the page; returns its id for `hit`. */
  watch(spec: WatchSpec): Promise<number> {
    return this.#call<number>('watch', spec)
  }

  /** When the watched condition held (page clock), or null after the bound. */
  hit(id: number, timeoutMs: number): Promise<WatchHit | null> {
    return this.#call<WatchHit | null>('result', id, timeoutMs)
  }

  /** Position in the page's event log, to look for events after it. */
  mark(): Promise<number> {
    return this.#call<number>('mark')
  }

  /** When the page's EventSource dispatched `event` about `key` (page clock), or null. */
  eventAt(from: number, event: string, key: string, status?: string): Promise<number | null> {
    return this.#call<number | null>('eventAt', from, event, key, status)
  }

  /**
   * Turns on or off this session's Network events: on only for page loads, so that the latency
   * sections do not add their traffic to this process's work.
   */
  async recordNetwork(on: boolean): Promise<void> {
    await this.cdp.send(on ? 'Network.enable' : 'Network.disable')
  }

  /**
   * Navigates to a page (cold: the browser cache emptied first) and measures its first render and
   * what the load transferred once the network is quiet.
   */
  async load(
    url: string,
    cold: boolean,
    timeoutMs: number,
  ): Promise<{ times: LoadTimes; transfer: Transfer }> {
    if (cold) await this.cdp.send('Network.clearBrowserCache')
    this.#net.reset()
    await this.page.goto(url, { waitUntil: 'commit', timeout: timeoutMs })
    const times = await this.#call<LoadTimes | null>('load', timeoutMs)
    if (times === null) throw new Error(`${url} is not a page the probe knows`)
    await this.#net.quiet(300, 5000)
    return { times, transfer: this.#net.transfer() }
  }

  async close(): Promise<void> {
    await this.context.close()
  }
}
