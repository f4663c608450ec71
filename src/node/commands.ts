// What the CLI may call on a data directory: the daemon itself, and the commands that also work
// without one (init, cloud create, join).
export { type RunningDaemon, type StartOptions, startDaemon } from './daemon.ts'
export {
  createCloudOffline,
  defaultNodeName,
  type InitResult,
  initNode,
  joinCloudOffline,
} from './offline.ts'
