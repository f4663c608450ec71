import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

/** The dashboard's budget for its initial load: index.html's scripts and styles, gzipped. */
export const INITIAL_LOAD_BUDGET_BYTES = 300 * 1024

/** Files worth compressing; images such as PNG are compressed already. */
const COMPRESSIBLE = /\.(?:js|mjs|css|svg|json|html|txt)$/

/**
 * Writes a .gz and a .br beside every compressible asset, so the daemon sends them as they are
 * (`@fastify/static` with `preCompressed`) instead of compressing on every request.
 */
export async function precompressAssets(assetsDir: string): Promise<number> {
  let count = 0
  for (const name of await readdir(assetsDir)) {
    if (!COMPRESSIBLE.test(name)) continue
    const data = await readFile(join(assetsDir, name))
    await writeFile(join(assetsDir, `${name}.gz`), gzipSync(data, { level: 9 }))
    await writeFile(
      join(assetsDir, `${name}.br`),
      brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    )
    count++
  }
  return count
}

export interface InitialLoad {
  /** the scripts and styles index.html loads, with their sizes */
  files: { path: string; bytes: number; gzipBytes: number }[]
  bytes: number
  gzipBytes: number
}

/**
 * What a browser fetches to show the first page: every script, module preload and stylesheet that
 * index.html names, measured gzipped (as the daemon serves them to a browser that takes gzip).
 */
export async function measureInitialLoad(distDir: string): Promise<InitialLoad> {
  const html = await readFile(join(distDir, 'index.html'), 'utf8')
  const refs = new Set<string>()
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) refs.add(m[1] as string)
  for (const m of html.matchAll(/<link\b[^>]*\brel="(?:stylesheet|modulepreload)"[^>]*\bhref="([^"]+)"/g)) {
    refs.add(m[1] as string)
  }
  for (const m of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="(?:stylesheet|modulepreload)"/g)) {
    refs.add(m[1] as string)
  }
  const files: InitialLoad['files'] = []
  for (const ref of refs) {
    if (!ref.startsWith('/')) throw new Error(`index.html names an asset outside this origin: ${ref}`)
    const path = join(distDir, ref)
    const data = await readFile(path)
    files.push({ path: ref, bytes: (await stat(path)).size, gzipBytes: gzipSync(data, { level: 9 }).length })
  }
  return {
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
  }
}

export function formatKiB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`
}
