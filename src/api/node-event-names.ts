import type { NodeEvents } from '../node/types.ts'

/** The literal keys of an interface that also has a string index signature. */
type KnownKeys<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K]
}

export type NodeEventName = KnownKeys<NodeEvents> & string

/** Every event a node emits, as the event stream forwards them. The compiler checks it is complete. */
export const NODE_EVENT_NAMES = [
  'member:joined',
  'member:updated',
  'member:suspected',
  'member:recovered',
  'member:died',
  'member:left',
  'service:published',
  'service:updated',
  'service:removed',
  'cloud:created',
  'cloud:joined',
  'cloud:left',
  'invite:created',
  'invite:used',
  'invite:revoked',
  'builtin:enabled',
  'builtin:disabled',
] as const satisfies readonly NodeEventName[]

/** Fails to compile, naming the event, when NodeEvents gains an event the list above lacks. */
type AssertNone<T extends never> = T
type _EveryEventListed = AssertNone<Exclude<NodeEventName, (typeof NODE_EVENT_NAMES)[number]>>
