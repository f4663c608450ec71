import { statfs } from 'node:fs/promises'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import type { NodeResources } from '../membership/types.ts'

export interface ResourceMonitorInit {
  /** the directory whose file system is reported as this node's disk */
  dataDir: string
  /** bytes contributed to the cloud's storage */
  contributedStorage: () => number
}

/** Reads this machine's CPU, memory and disk figures for the node record. */
export function createResourceMonitor(init: ResourceMonitorInit): { read(): Promise<NodeResources> } {
  return {
    async read() {
      const fs = await statfs(init.dataDir).catch(() => undefined)
      return {
        cpuCores: cpus().length,
        load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
        memTotal: totalmem(),
        memFree: freemem(),
        diskTotal: fs ? fs.blocks * fs.bsize : 0,
        diskFree: fs ? fs.bavail * fs.bsize : 0,
        contributedStorage: init.contributedStorage(),
      }
    },
  }
}
