/**
 * Why a share was refused. Stages follow the order in which a share is checked: its bytes could not
 * be read, its header is malformed, its UEB does not match the cap, its share hash chain does not
 * lead to the share root, its block hashes do not lead to its block root, a block does not match its
 * hash, or its copy of the crypttext hash tree does not lead to the crypttext root.
 */
export type ShareCheckStage =
  | 'read'
  | 'header'
  | 'uri-extension'
  | 'share-hashes'
  | 'block-hashes'
  | 'block'
  | 'crypttext-hashes'

export interface ShareProblem {
  readonly shnum: number
  readonly name?: string
  readonly stage: ShareCheckStage
  readonly message: string
  /** the segment being fetched when the problem showed, if any */
  readonly segment?: number
}

/** Internal: thrown by share readers; the decoder turns it into a report and replaces the share. */
export class ShareRejectedError extends Error {
  override readonly name = 'ShareRejectedError'
  readonly shnum: number
  readonly stage: ShareCheckStage
  readonly segment: number | undefined

  constructor(shnum: number, stage: ShareCheckStage, message: string, segment?: number) {
    super(message)
    this.shnum = shnum
    this.stage = stage
    this.segment = segment
  }

  toProblem(name?: string): ShareProblem {
    return {
      shnum: this.shnum,
      ...(name !== undefined ? { name } : {}),
      stage: this.stage,
      message: this.message,
      ...(this.segment !== undefined ? { segment: this.segment } : {}),
    }
  }
}
