/** Chooses the kernel for a coder: WebAssembly SIMD where it is available, else portable JS. */

import { CloudyError } from '../../util/errors.ts'
import type { GfKernel } from './gf-kernel.ts'
import { jsKernel } from './js-kernel.ts'
import { loadWasmKernel } from './wasm-kernel.ts'

/** Loaded on first use and shared by every coder (JS runs one call at a time). */
let wasm: { kernel: GfKernel } | { error: Error } | undefined

function wasmKernel(): { kernel: GfKernel } | { error: Error } {
  if (!wasm) {
    try {
      wasm = { kernel: loadWasmKernel() }
    } catch (err) {
      wasm = { error: err instanceof Error ? err : new Error(String(err)) }
    }
  }
  return wasm
}

/** Why the WebAssembly kernel is not used by default, or undefined when it is. */
export function wasmUnavailableReason(): string | undefined {
  const state = wasmKernel()
  return 'error' in state ? state.error.message : undefined
}

export function selectKernel(implementation: 'wasm' | 'js' | undefined): GfKernel {
  if (implementation === 'js') return jsKernel
  const state = wasmKernel()
  if ('kernel' in state) return state.kernel
  if (implementation === 'wasm') {
    throw new CloudyError(
      'UNAVAILABLE',
      `the WebAssembly zfec kernel is unavailable: ${state.error.message}`,
      {
        cause: state.error,
      },
    )
  }
  return jsKernel
}
