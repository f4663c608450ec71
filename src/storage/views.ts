// What the node's event stream says about its storage server: plain data, shared with the dashboard.

export type StorageEvents = {
  /** an upload of a share began on this node's storage server (its first write reached the disk) */
  'share:write-received': { storageIndex: string; shareNumber: number }
  /** a share became complete on this node's storage server */
  'share:stored': { storageIndex: string; shareNumber: number; size: number }
  /** a gateway reported a share of this node's storage server as corrupt */
  'corruption:reported': { storageIndex: string; shareNumber: number; reason: string }
}

export const STORAGE_EVENT_NAMES = [
  'share:write-received',
  'share:stored',
  'corruption:reported',
] as const satisfies readonly (keyof StorageEvents)[]
