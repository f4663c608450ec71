/**
 * A storage server in its own process, for crash tests: `node --import tsx server-process.ts DIR`.
 * Prints one JSON line with its NURL, then one per first write of an upload; exits when its stdin
 * closes (so it never outlives the test).
 */
import { startStorageServer } from '../../../../src/storage/server/storage-server.ts'
import { silentLogger } from '../../../../src/util/logger.ts'

const directory = process.argv[2] as string
process.stdin.on('end', () => process.exit(0))
process.stdin.on('close', () => process.exit(0))
process.stdin.resume()

const server = await startStorageServer({ directory, host: '127.0.0.1', port: 0 }, { logger: silentLogger() })
server.core.events.on('share:write-received', (e) => {
  process.stdout.write(`${JSON.stringify({ event: 'share:write-received', ...e })}\n`)
})
process.stdout.write(`${JSON.stringify({ nurl: server.nurl })}\n`)
