/** Chooses the kernel for a coder. */

import { CloudyError } from '../../util/errors.ts'
import type { GfKernel } from './gf-kernel.ts'
import { jsKernel } from './js-kernel.ts'

export function selectKernel(implementation: 'wasm' | 'js' | undefined): GfKernel {
  if (implementation === 'wasm') {
    throw new CloudyError('UNAVAILABLE', 'the WebAssembly zfec kernel is not available yet; use the js one')
  }
  return jsKernel
}
