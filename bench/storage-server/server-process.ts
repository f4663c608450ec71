/**
 * The storage server under benchmark, in its own process (so client and server do not share an
 * event loop): `node --import tsx bench/storage-server/server-process.ts DIR`. Prints its NURL as
 * one JSON line; exits when stdin closes.
 */
import { startStorageServer } from '../../src/storage/server/storage-server.ts'
import { silentLogger } from '../../src/util/logger.ts'

const directory = process.argv[2] as string
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
const server = await startStorageServer({ directory, host: '127.0.0.1', port: 0 }, { logger: silentLogger() })
process.stdout.write(`${JSON.stringify({ nurl: server.nurl })}\n`)
