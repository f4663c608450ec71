import parseTorrent, { type ParsedTorrent } from 'parse-torrent'
import { CloudyError } from '../../util/errors.ts'

/** A .torrent file larger than this is refused (a 16 GiB torrent of 256 KiB pieces is ~1.3 MB). */
export const MAX_TORRENT_FILE_BYTES = 8 * 1024 * 1024

const INFO_HASH_RE = /^[0-9a-f]{40}$/

export function checkInfoHash(text: string): string {
  const infoHash = text.toLowerCase()
  if (!INFO_HASH_RE.test(infoHash)) {
    throw new CloudyError('INVALID_INPUT', `"${text}" is not an info hash (40 hexadecimal digits)`)
  }
  return infoHash
}

/** Parses a magnet link; INVALID_INPUT with the reason when it is not one Cloudy can use. */
export async function parseMagnet(magnet: string): Promise<ParsedTorrent> {
  if (!magnet.startsWith('magnet:?')) {
    throw new CloudyError('INVALID_INPUT', 'a magnet link starts with "magnet:?"')
  }
  let parsed: ParsedTorrent
  try {
    parsed = await parseTorrent(magnet)
  } catch (err) {
    throw new CloudyError('INVALID_INPUT', `not a valid magnet link: ${(err as Error).message}`)
  }
  if (typeof parsed.infoHash !== 'string' || !INFO_HASH_RE.test(parsed.infoHash)) {
    throw new CloudyError(
      'INVALID_INPUT',
      'the magnet link has no BitTorrent info hash (xt=urn:btih:<40 hex digits or 32 base32 letters>)',
    )
  }
  return parsed
}

/** Parses a .torrent file; INVALID_INPUT with the reason when it is corrupt. */
export async function parseTorrentFile(data: Uint8Array): Promise<ParsedTorrent> {
  if (data.length === 0) throw new CloudyError('INVALID_INPUT', 'the .torrent file is empty')
  if (data.length > MAX_TORRENT_FILE_BYTES) {
    throw new CloudyError('INVALID_INPUT', `a .torrent file is at most ${MAX_TORRENT_FILE_BYTES} bytes`)
  }
  // bencode: a torrent is a dictionary
  if (data[0] !== 0x64) {
    throw new CloudyError('INVALID_INPUT', 'not a .torrent file: it is not a bencoded dictionary')
  }
  let parsed: ParsedTorrent
  try {
    parsed = await parseTorrent(data)
  } catch (err) {
    throw new CloudyError('INVALID_INPUT', `not a valid .torrent file: ${(err as Error).message}`)
  }
  if (!Array.isArray(parsed.pieces) || parsed.pieces.length === 0 || !parsed.length) {
    throw new CloudyError('INVALID_INPUT', 'not a valid .torrent file: it has no pieces')
  }
  if (parsed.pieces.some((hash) => hash.length !== 40)) {
    throw new CloudyError(
      'INVALID_INPUT',
      'not a valid .torrent file: its piece hashes are not 20 bytes each',
    )
  }
  const expected = Math.ceil(parsed.length / (parsed.pieceLength ?? 1))
  if (parsed.pieces.length !== expected) {
    throw new CloudyError(
      'INVALID_INPUT',
      `not a valid .torrent file: ${parsed.pieces.length} piece hashes for ${expected} pieces`,
    )
  }
  return parsed
}
