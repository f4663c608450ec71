import { setTimeout as sleep } from 'node:timers/promises'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../util/logger.ts'

export interface BootstrapDialerInit {
  addrs: Multiaddr[]
  /** first retry delay in ms; doubles per failure up to maxDelayMs */
  initialDelayMs?: number
  maxDelayMs?: number
}

export interface BootstrapDialerComponents {
  dial(addr: Multiaddr, options: { signal: AbortSignal }): Promise<unknown>
  logger: Logger
}

export interface BootstrapDialer {
  stop(): void
}

/**
 * Dials each bootstrap address in the background until one connection to it succeeds, retrying with
 * exponential backoff; later reconnection is the membership layer's job. Start never waits for it.
 */
export function startBootstrapDialer(
  init: BootstrapDialerInit,
  components: BootstrapDialerComponents,
): BootstrapDialer {
  const controller = new AbortController()
  const { signal } = controller
  const initialDelay = init.initialDelayMs ?? 1000
  const maxDelay = init.maxDelayMs ?? 30_000
  const log = components.logger

  const dialUntilConnected = async (addr: Multiaddr): Promise<void> => {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await components.dial(addr, { signal })
        log.debug({ addr: addr.toString() }, 'connected to bootstrap peer')
        return
      } catch (err) {
        if (signal.aborted) return
        const fields = { addr: addr.toString(), attempt: attempt + 1, reason: (err as Error).message }
        if (attempt === 0) log.warn(fields, 'bootstrap peer unreachable; retrying in the background')
        else log.debug(fields, 'bootstrap peer still unreachable')
      }
      await sleep(Math.min(initialDelay * 2 ** attempt, maxDelay), undefined, { signal }).catch(() => {})
    }
  }

  for (const addr of init.addrs) void dialUntilConnected(addr)
  return { stop: () => controller.abort() }
}
