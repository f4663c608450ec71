// The tracker under test, alone in its process: Cloudy's tracker (src/torrents/tracker) with the
// cloud-only access policy, as the built-in service runs it. Prints its port, then runs until its
// stdin closes; on "stats" it prints its counters.
import { createInterface } from 'node:readline'
import { createAccessPolicy } from '../../src/torrents/tracker/access-policy.ts'
import { startTracker } from '../../src/torrents/tracker/tracker.ts'
import { silentLogger } from '../../src/util/logger.ts'

// argv: [host] [port] [interval s]; the swarm benchmark runs it on a namespace's address
const [host = '127.0.0.1', port = '0', interval = '1800'] = process.argv.slice(2)
const tracker = await startTracker(
  { host, port: Number(port), advertiseHost: host, intervalS: Number(interval) },
  {
    logger: silentLogger(),
    access: createAccessPolicy(
      // the swarm benchmark's peers are in 10.x namespaces; the members here are stand-ins
      { open: false, allow: host === '127.0.0.1' ? [] : ['10.0.0.0/8'] },
      { memberAddresses: () => ['10.0.0.1', '10.0.0.2'] },
    ),
  },
)
console.log(JSON.stringify({ port: tracker.port }))
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line.trim() === 'stats') {
    const { swarms: _swarms, ...totals } = tracker.stats()
    console.log(JSON.stringify({ ...totals, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) }))
  }
})
lines.on('close', () => void tracker.stop().then(() => process.exit(0)))
