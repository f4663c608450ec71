import { generateKeyPair } from '@libp2p/crypto/keys'
import { createOverlay } from '../../../src/net/overlay.ts'
import type { Overlay, OverlayInit } from '../../../src/net/types.ts'
import { silentLogger } from '../../../src/util/logger.ts'
import type { TypedEmitter } from '../../../src/util/typed-emitter.ts'

/** Starts overlays on 127.0.0.1 with ephemeral ports and stops every one of them in `stopAll`. */
export function overlayFixture() {
  const running: { stop(): Promise<void> }[] = []
  return {
    async start(cloudKey: Uint8Array, init: Partial<OverlayInit> = {}): Promise<Overlay> {
      const overlay = await createOverlay(
        {
          privateKey: await generateKeyPair('Ed25519'),
          cloudKey,
          host: '127.0.0.1',
          port: 0,
          bootstrap: [],
          mdns: false,
          relayServer: false,
          ...init,
        },
        { logger: silentLogger() },
      )
      running.push(overlay)
      return overlay
    },
    /** Registers anything else with a stop() (join servers, raw libp2p nodes) for cleanup. */
    track<T extends { stop(): Promise<void> | void }>(thing: T): T {
      running.push({ stop: async () => thing.stop() })
      return thing
    },
    async stopAll(): Promise<void> {
      await Promise.allSettled(running.splice(0).map((r) => r.stop()))
    },
  }
}

/** Resolves with the first matching event, rejects after `timeoutMs`. */
export function nextEvent<E extends Record<string, unknown>, K extends keyof E & string>(
  emitter: TypedEmitter<E>,
  event: K,
  predicate: (payload: E[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<E[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no ${event} event within ${timeoutMs} ms`))
    }, timeoutMs)
    const off = emitter.on(event, (payload) => {
      if (!predicate(payload)) return
      clearTimeout(timer)
      off()
      resolve(payload)
    })
  })
}
