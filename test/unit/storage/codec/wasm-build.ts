/**
 * Builds the WebAssembly kernel before its tests when build/wasm is missing or older than its source,
 * as `npm run build:wasm` does, so that running the unit tests alone tests the current kernel.
 */

import { execFileSync } from 'node:child_process'
import { readdirSync, renameSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WASM_URL } from '../../../../src/storage/codec/wasm-kernel.ts'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const ASSEMBLY = `${ROOT}assembly/`

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs
  } catch {
    return -1
  }
}

export function ensureWasmBuilt(): void {
  const target = fileURLToPath(WASM_URL)
  const newestSource = Math.max(...readdirSync(ASSEMBLY).map((f) => mtime(ASSEMBLY + f)))
  if (mtime(target) >= newestSource) return
  // write beside the target and rename, so that a test file running in parallel never reads half a file
  const partial = `${target}.${process.pid}.partial`
  execFileSync(
    process.execPath,
    [
      `${ROOT}node_modules/assemblyscript/bin/asc.js`,
      `${ASSEMBLY}gf256.ts`,
      '--config',
      `${ASSEMBLY}asconfig.json`,
      '--target',
      'release',
      '--outFile',
      partial,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  )
  renameSync(partial, target)
}
