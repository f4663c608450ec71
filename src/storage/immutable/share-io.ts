/**
 * The two seams between CHK coding and the network layer. The encoder writes share bytes to a
 * ShareSink; the decoder reads them from ShareSources. Both take an optional AbortSignal.
 */

export interface IoOptions {
  readonly signal?: AbortSignal
}

/** What a sink learns before the first write: enough to allocate space on storage servers. */
export interface ShareAllocation {
  readonly storageIndex: Uint8Array
  /** bytes of share data of every share (what Tahoe's allocate call asks for) */
  readonly shareSize: number
  readonly shareNumbers: readonly number[]
  readonly needed: number
  readonly happy: number
  readonly total: number
}

/**
 * Receives the share data the encoder produces. Every share is written sequentially from offset 0
 * to its end, in a few large writes. The encoder awaits each write (that is the backpressure) and
 * keeps no reference to the bytes afterwards; a sink may keep them. A write that rejects fails the
 * upload: a sink that can live without a share (a server went away but enough remain) should
 * resolve and drop it itself.
 */
export interface ShareSink {
  start?(allocation: ShareAllocation, options?: IoOptions): Promise<void>
  write(shnum: number, offset: number, data: Uint8Array, options?: IoOptions): Promise<void>
  /** after the last write of every share */
  finish?(options?: IoOptions): Promise<void>
}

/**
 * One share held somewhere (a server), readable by byte range. `read` may return fewer bytes than
 * asked when the range passes the end of the share; the decoder treats that as a corrupt share.
 */
export interface ShareSource {
  readonly shnum: number
  /** names the holder in reports (a server id, a path) */
  readonly name?: string
  read(offset: number, length: number, options?: IoOptions): Promise<Uint8Array>
}

/** The plaintext of an upload: its size, and a way to read it from the start, more than once. */
export interface PlaintextSource {
  readonly size: number
  open(): AsyncIterable<Uint8Array>
}
