import { describe, expect, it } from 'vitest'
import { checkInfoHash, parseMagnet, parseTorrentFile } from '../../../src/torrents/client/torrent-input.ts'

describe('torrent input', () => {
  it('reads magnet links with hex or base32 info hashes', async () => {
    const hex = await parseMagnet(`magnet:?xt=urn:btih:${'a'.repeat(40)}&dn=x`)
    expect(hex.infoHash).toBe('a'.repeat(40))
    const b32 = await parseMagnet(`magnet:?xt=urn:btih:${'A'.repeat(32)}`)
    expect(b32.infoHash).toMatch(/^[0-9a-f]{40}$/)
  })

  it('refuses bad magnet links, saying why', async () => {
    await expect(parseMagnet('http://example.org/x.torrent')).rejects.toThrow('starts with "magnet:?"')
    await expect(parseMagnet('magnet:?dn=nothing')).rejects.toThrow(/magnet link/)
    await expect(parseMagnet('magnet:?xt=urn:btih:1234')).rejects.toThrow(/magnet link/)
  })

  it('refuses corrupt .torrent files, saying why', async () => {
    const bad = async (text: string | Buffer) =>
      parseTorrentFile(typeof text === 'string' ? Buffer.from(text, 'latin1') : text).catch(
        (e: Error) => e.message,
      )
    expect(await bad('')).toContain('empty')
    expect(await bad('l4:spame')).toContain('not a bencoded dictionary')
    expect(await bad('d8:announce')).toContain('not a valid .torrent file')
    expect(await bad('d4:infod4:name1:aee')).toContain('not a valid .torrent file')
    expect(await bad('d4:infod6:lengthi10e4:name1:a12:piece lengthi16384e6:pieces3:abcee')).toContain(
      '20 bytes',
    )
    expect(
      await bad(`d4:infod6:lengthi40000e4:name1:a12:piece lengthi16384e6:pieces20:${'x'.repeat(20)}ee`),
    ).toContain('1 piece hashes for 3 pieces')
  })

  it('checks info hashes', () => {
    expect(checkInfoHash('AB'.repeat(20))).toBe('ab'.repeat(20))
    expect(() => checkInfoHash('abc')).toThrow('40 hexadecimal digits')
  })
})
