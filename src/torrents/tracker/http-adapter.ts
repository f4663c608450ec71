import type { AnnounceEvent, SwarmStore } from './swarm-store.ts'

/**
 * HTTP announce (BEP 3, compact peers of BEP 23 and BEP 7) and scrape (BEP 48) over the swarm
 * store. Answers are bencoded; a refusal is a `failure reason` (with HTTP 200, as clients expect,
 * except for the access gate, which says 403). The peer's address is the connection's, never an
 * `ip` parameter.
 */
export interface HttpAdapterInit {
  intervalS: number
}

export interface HttpAdapterComponents {
  store: SwarmStore
  clock: () => number
}

const EVENTS = new Set<AnnounceEvent>(['started', 'completed', 'stopped'])

/** Parses a query string whose values may hold raw bytes (%XX), as latin1 strings; repeated keys collect. */
export function parseBinaryQuery(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = decodeLatin1(eq < 0 ? pair : pair.slice(0, eq))
    const value = eq < 0 ? '' : decodeLatin1(pair.slice(eq + 1))
    const list = out.get(key)
    if (list) list.push(value)
    else out.set(key, [value])
  }
  return out
}

function decodeLatin1(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === '%' && i + 2 < text.length && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else out += c === '+' ? ' ' : c
  }
  return out
}

export function bencodeFailure(reason: string): Buffer {
  const text = Buffer.from(reason)
  return Buffer.concat([Buffer.from(`d14:failure reason${text.length}:`), text, Buffer.from('e')])
}

const str = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length}:`), b])

export function createHttpHandler(
  init: HttpAdapterInit,
  components: HttpAdapterComponents,
): {
  announce(query: string, ip: string): Buffer
  scrape(query: string): Buffer
} {
  return {
    announce(query, ip) {
      const q = parseBinaryQuery(query)
      const one = (key: string) => q.get(key)?.[0]
      const infoHash = one('info_hash')
      const peerId = one('peer_id')
      const port = Number(one('port'))
      if (infoHash?.length !== 20) return bencodeFailure('info_hash must be 20 bytes')
      if (peerId?.length !== 20) return bencodeFailure('peer_id must be 20 bytes')
      if (!Number.isInteger(port) || port < 1 || port > 65535) return bencodeFailure('port must be 1-65535')
      const left = Number(one('left') ?? 0)
      const event = one('event') as AnnounceEvent | undefined
      const numWant = Number(one('numwant') ?? -1)
      const answer = components.store.announce(
        {
          infoHash,
          peerId,
          ip,
          port,
          left: Number.isFinite(left) ? left : 0,
          event: event && EVENTS.has(event) ? event : 'none',
          numWant: Number.isInteger(numWant) ? numWant : -1,
        },
        components.clock(),
      )
      const v6 = answer.entryLength === 18
      // keys in sorted order, as bencode requires
      return Buffer.concat([
        Buffer.from(
          `d8:completei${answer.seeders}e10:incompletei${answer.leechers}e8:intervali${init.intervalS}e12:min intervali${Math.min(60, init.intervalS)}e`,
        ),
        Buffer.from(v6 ? '5:peers0:6:peers6' : '5:peers'),
        str(answer.peers),
        Buffer.from(v6 ? 'e' : '6:peers60:e'),
      ])
    },

    scrape(query) {
      const hashes = parseBinaryQuery(query).get('info_hash') ?? []
      if (hashes.length === 0)
        return bencodeFailure('scrape needs info_hash (this tracker does not list its torrents)')
      const files = hashes
        .filter((h) => h.length === 20)
        .sort()
        .map((h) => {
          const s = components.store.scrape(h)
          return Buffer.concat([
            str(Buffer.from(h, 'latin1')),
            Buffer.from(
              `d8:completei${s.seeders}e10:downloadedi${s.completed}e10:incompletei${s.leechers}ee`,
            ),
          ])
        })
      return Buffer.concat([Buffer.from('d5:filesd'), ...files, Buffer.from('ee')])
    },
  }
}
