import { base32Encode } from '../util/base32.ts'
import { parseNurl } from './nurl.ts'

export interface TahoeAnnouncementInput {
  /** the server's Ed25519 public key, 32 bytes (names it `v0-…` as Tahoe names servers) */
  publicKey: Uint8Array
  nickname: string
  nurl: string
  /** 20 bytes: Tahoe's tub id (leases are derived from it) and the permutation seed */
  serverId: Uint8Array
}

const quote = (text: string) => JSON.stringify(text)

/**
 * The entry for this server in a Tahoe-LAFS gateway's static server list (`private/servers.yaml`,
 * Tahoe's docs/configuration.rst "Static Server Definitions"), so a real Tahoe gateway stores on
 * it: the NURL for the HTTP storage protocol, and a FURL only for the tub id it carries (Tahoe
 * derives lease secrets from it). Holds the swissnum: a credential.
 */
export function tahoeAnnouncement(input: TahoeAnnouncementInput): string {
  const nurl = parseNurl(input.nurl)
  const tubId = base32Encode(input.serverId)
  const host = nurl.host.includes(':') ? `[${nurl.host}]` : nurl.host
  const furl = `pb://${tubId}@tcp:${host}:${nurl.port}/${nurl.swissnum}`
  return [
    'storage:',
    `  v0-${base32Encode(input.publicKey)}:`,
    '    ann:',
    `      nickname: ${quote(input.nickname)}`,
    `      anonymous-storage-FURL: ${quote(furl)}`,
    '      anonymous-storage-NURLs:',
    `        - ${quote(input.nurl)}`,
    `      permutation-seed-base32: ${quote(tubId)}`,
    '',
  ].join('\n')
}
