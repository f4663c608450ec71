import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dnsLabel } from '../../src/catalogue/dns-sd-mirror.ts'
import type { PublishInput } from '../../src/catalogue/types.ts'
import {
  AVAHI_PROGRAMS,
  createNetnsLab,
  hasNetnsSupport,
  type Iface,
  type LabProcess,
  type Netns,
  type NetnsLab,
  run,
} from '../helpers/netns.ts'

// Three namespaces on one bridged LAN: the node's (a Cloudy catalogue and the real DNS-SD mirror
// over bonjour-service, in a child process), an observer's (avahi-daemon on its own dbus-daemon,
// queried with avahi-browse) and a second Cloudy node's that owns a name the first node also wants.
// No multicast leaves them.

const support = await hasNetnsSupport(AVAHI_PROGRAMS)
if (!support.ok) console.warn(`DNS-SD interoperability test skipped: ${support.reason}`)

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TYPE = 'cloudy-test'
const HOST_NAME = `node-${process.pid}`

/**
 * The node: a two-member in-memory cloud whose first member runs the mirror. Reads one JSON command
 * per line on stdin and answers on stdout; when stdin closes it stops the mirror (goodbyes) and exits.
 */
const CHILD = `
import { createInterface } from 'node:readline'
import { pino } from 'pino'
import { createDnsSdMirror } from ${JSON.stringify(`${ROOT}src/catalogue/dns-sd-mirror.ts`)}
import { createMemoryCloud } from ${JSON.stringify(`${ROOT}test/helpers/memory-cloud.ts`)}
import { waitFor } from ${JSON.stringify(`${ROOT}test/helpers/memory-overlay.ts`)}

const cloud = await createMemoryCloud(2)
await waitFor(() => cloud.nodes.every((n) => n.membership.livePeers().length === 1))
const logger = pino({ level: 'debug' }, pino.destination(2))
const mirror = createDnsSdMirror(
  { hostName: process.env.HOST_NAME, interfaceAddress: process.env.ADDRESS },
  { catalogue: cloud.nodes[0].catalogue, logger },
)
mirror.start()
// a dead parent must not crash the node before its goodbyes
process.stdout.on('error', () => {})
const send = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
send({ ready: true })
const lines = createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  const cmd = JSON.parse(line)
  try {
    const catalogue = cloud.nodes[cmd.node ?? 0].catalogue
    if (cmd.op === 'publish') await catalogue.publish(cmd.input)
    else if (cmd.op === 'unpublish') await catalogue.unpublish(cmd.type, cmd.port)
    send({ reply: cmd.id, ok: true, announcements: mirror.announcements() })
  } catch (err) {
    send({ reply: cmd.id, ok: false, error: err.message })
  }
})
lines.on('close', async () => {
  setTimeout(() => process.exit(1), 8000).unref()
  await mirror.stop()
  cloud.stop()
  process.exit(0)
})
`

interface Resolved {
  name: string
  host: string
  address: string
  port: number
  txt: Record<string, string>
}

/** avahi-browse -p escapes bytes as \\DDD (decimal) and `.` and `\\` with a backslash */
function unescapeAvahi(s: string): string {
  return s.replace(/\\(\d{3}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(Number(e)) : e))
}

function parseBrowse(stdout: string): Resolved[] {
  const out: Resolved[] = []
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('=;')) continue
    const [, , , name, , , host, address, port, txt = ''] = line.split(';')
    const pairs = [...txt.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => unescapeAvahi(m[1] as string))
    out.push({
      name: unescapeAvahi(name as string),
      host: host as string,
      address: address as string,
      port: Number(port),
      txt: Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])),
    })
  }
  return out
}

/** the `+` (new) and `-` (removed) events of a long-running `avahi-browse -p` */
function browseEvents(output: string): { kind: '+' | '-'; name: string }[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('+;') || l.startsWith('-;'))
    .map((l) => ({ kind: l[0] as '+' | '-', name: unescapeAvahi(l.split(';')[3] as string) }))
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      last = err
      return undefined
    })
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

describe.skipIf(!support.ok)('DNS-SD mirror seen by avahi-browse on the LAN', () => {
  let lab: NetnsLab
  let lanNs: Netns
  let rivalNs: Netns
  let busAddress: string
  /** a long-running avahi-browse on the observer: it sees every removal, even a short-lived one */
  let browser: LabProcess
  let node: LabProcess
  let nodeAddress: string
  /** another Cloudy node on the LAN, with its own mirror */
  let rival: LabProcess
  let rivalAddress: string
  let nextId = 1

  const command = async (
    cmd: Record<string, unknown>,
    to: LabProcess = node,
  ): Promise<{ announcements: { key: string }[] }> => {
    const id = nextId++
    to.child.stdin?.write(`${JSON.stringify({ ...cmd, id })}\n`)
    const line = await to.waitFor(new RegExp(`^\\{"reply":${id},.*$`, 'm'), 10_000)
    const reply = JSON.parse(line) as { ok: boolean; error?: string; announcements: { key: string }[] }
    if (!reply.ok) throw new Error(reply.error)
    return reply
  }
  const publish = (input: PublishInput, node = 0) => command({ op: 'publish', node, input })

  const browse = async (): Promise<Resolved[]> => {
    const r = await lab.exec(lanNs, 'avahi-browse', ['-rtp', `_${TYPE}._tcp`], {
      env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: busAddress },
      timeoutMs: 10_000,
    })
    if (r.code !== 0) throw new Error(`avahi-browse failed (${r.code}): ${r.stderr}`)
    return parseBrowse(r.stdout)
  }
  const seen = (pick: (all: Resolved[]) => boolean) => async () => {
    const all = await browse()
    return pick(all) ? all : undefined
  }

  beforeAll(async () => {
    lab = await createNetnsLab()
    try {
      const nodeNs = await lab.namespace()
      lanNs = await lab.namespace()
      rivalNs = await lab.namespace()
      const [nodeIf, lanIf, rivalIf] = (await lab.lan([nodeNs, lanNs, rivalNs])) as [Iface, Iface, Iface]
      nodeAddress = nodeIf.address
      // a second address on the node's interface: the mirror must advertise only the one it was given
      const extra = nodeAddress.replace(/\.\d+$/, '.77')
      await run('ip', ['-n', nodeNs.name, 'addr', 'add', `${extra}/24`, 'dev', nodeIf.ifname])
      rivalAddress = rivalIf.address
      busAddress = await lab.dbus(lanNs)
      const avahi = lab.avahi(lanNs, {
        interfaces: [lanIf.ifname],
        busAddress,
        hostName: `observer-${process.pid}`,
      })
      const cloudyNode = (ns: Netns, hostName: string, address: string) =>
        lab.spawn(ns, process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
          ownWatchdog: true,
          cwd: ROOT,
          env: { ...process.env, HOST_NAME: hostName, ADDRESS: address },
        })
      node = cloudyNode(nodeNs, HOST_NAME, nodeAddress)
      rival = cloudyNode(rivalNs, `rival-${process.pid}`, rivalAddress)
      const ready = (p: LabProcess) => p.waitFor(/^\{"ready":true\}$/m, 20_000)
      await Promise.all([avahi, ready(node), ready(rival)])
      browser = lab.spawn(lanNs, 'avahi-browse', ['-p', `_${TYPE}._tcp`], {
        env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: busAddress },
      })
    } catch (err) {
      await lab.dispose().catch(() => {})
      throw err
    }
  })

  afterAll(async () => {
    await lab?.dispose()
  })

  it('shows a public service of the node with its port, TXT and address, and never a private one', async () => {
    await publish({
      type: TYPE,
      port: 9001,
      host: nodeAddress,
      description: 'Private admin',
      txt: { key: 'x' },
    })
    await publish(
      { type: TYPE, port: 9002, host: '10.255.255.1', description: 'Other node', public: true },
      1,
    )
    const { announcements } = await publish({
      type: TYPE,
      port: 8080,
      host: nodeAddress,
      description: 'Community wiki',
      txt: { path: '/wiki', lang: 'ca' },
      public: true,
    })
    expect(announcements.map((a) => a.key)).toEqual([`${TYPE}/8080`])
    const all = await until(
      'the wiki in avahi-browse',
      seen((all) => all.some((s) => s.name === 'Community wiki')),
    )
    expect(all).toEqual([
      {
        name: 'Community wiki',
        host: `${dnsLabel(HOST_NAME)}.local`,
        address: nodeAddress,
        port: 8080,
        txt: { path: '/wiki', lang: 'ca' },
      },
    ])
  })

  it('renames a service whose name another node owns, without making the LAN forget that node', async () => {
    // only the long-running browser watches here: a fresh avahi-browse makes the observer query
    // again, and the answer would mask a wrongly sent goodbye within its one-second grace
    const events = (name: string) => async () => {
      const kinds = browseEvents(browser.output())
        .filter((e) => e.name === name)
        .map((e) => e.kind)
      return kinds.length > 0 ? kinds : undefined
    }
    const rivalWiki = { type: TYPE, port: 7000, host: rivalAddress, description: 'Shared name', public: true }
    await command({ op: 'publish', input: rivalWiki }, rival)
    await until('the first owner on the LAN', events('Shared name'))
    await publish({ type: TYPE, port: 8081, host: nodeAddress, description: 'Shared name', public: true })
    expect(await until('the renamed service on the LAN', events('Shared name #2'))).toEqual(['+'])
    // withdraw the renamed service: once the observer drops it, a goodbye sent earlier for the
    // owner's name (when the probe found it taken) would have taken effect too
    await command({ op: 'unpublish', type: TYPE, port: 8081 })
    await until('the renamed service to leave', async () =>
      (await events('Shared name #2')())?.includes('-') ? true : undefined,
    )
    expect(await events('Shared name')()).toEqual(['+'])
    const all = await browse()
    expect(all.filter((s) => s.name.startsWith('Shared name'))).toEqual([
      expect.objectContaining({ name: 'Shared name', port: 7000, address: rivalAddress }),
    ])
    await command({ op: 'unpublish', type: TYPE, port: 7000 }, rival)
  })

  it('follows a TXT update and withdraws an unpublished service', async () => {
    await publish({
      type: TYPE,
      port: 8080,
      host: nodeAddress,
      description: 'Community wiki',
      txt: { path: '/wiki', lang: 'en' },
      public: true,
    })
    await until(
      'the new TXT',
      seen((all) => all.some((s) => s.name === 'Community wiki' && s.txt.lang === 'en')),
    )
    await command({ op: 'unpublish', type: TYPE, port: 8080 })
    await until(
      'the wiki to leave avahi-browse',
      seen((all) => !all.some((s) => s.port === 8080)),
    )
  })

  it('says goodbye for everything when the node stops', async () => {
    await publish({ type: TYPE, port: 8082, host: nodeAddress, public: true })
    await until(
      'the last service in avahi-browse',
      seen((all) => all.some((s) => s.port === 8082 && s.name === `${TYPE} on ${HOST_NAME}`)),
    )
    await node.stop()
    expect(node.child.exitCode).toBe(0)
    await until(
      'every service of the node to leave avahi-browse',
      seen((all) => !all.some((s) => s.address === nodeAddress)),
    )
  })
})
