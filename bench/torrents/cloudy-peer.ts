// One Cloudy peer of the swarm benchmark, in a process (and network namespace) of its own: the
// torrents service's client (src/torrents/client) on a folder, as the daemon runs it. With --seed it
// makes the torrent of a file and seeds it (printing the .torrent's path); with --torrent it
// downloads that torrent. Prints one JSON line per step; exits when its stdin closes.
import { parseArgs } from 'node:util'
import { startTorrentClient } from '../../src/torrents/client/torrent-client.ts'
import { createLogger } from '../../src/util/logger.ts'

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    seed: { type: 'string' },
    torrent: { type: 'string' },
    tracker: { type: 'string', multiple: true, default: [] },
    'piece-length': { type: 'string', default: String(256 * 1024) },
    /** say "ready", then add the torrent when a line arrives on stdin */
    wait: { type: 'boolean', default: false },
    /** the client's own upload limit, bytes/s (besides tc) */
    'upload-limit': { type: 'string' },
  },
})
const say = (o: object) => console.log(JSON.stringify({ t: Date.now(), ...o }))
const client = await startTorrentClient(
  {
    dir: values.dir as string,
    port: 6881,
    limits: {
      downloadLimit: null,
      uploadLimit: values['upload-limit'] === undefined ? null : Number(values['upload-limit']),
      ratioLimit: null,
    },
    createdBy: 'Cloudy/bench',
  },
  {
    logger: createLogger({ level: process.env.BENCH_PEER_LOG ?? 'silent' }),
    emit: (event, payload) => {
      if (event === 'torrent:downloaded')
        say({ done: true, infoHash: (payload as { infoHash: string }).infoHash })
    },
    cloudTrackers: () => [values.tracker as string[]],
  },
)
if (values.seed) {
  const created = await client.create({
    path: values.seed,
    seed: true,
    trackers: values.tracker as string[],
    pieceLength: Number(values['piece-length']),
  })
  say({ seeding: true, torrentPath: created.torrentPath, infoHash: created.infoHash })
} else {
  const { readFile } = await import('node:fs/promises')
  const torrent = await readFile(values.torrent as string)
  const add = async () => {
    const view = await client.add({ torrent })
    say({ added: true, infoHash: view.infoHash })
  }
  if (values.wait) {
    say({ ready: true })
    process.stdin.once('data', () => void add())
  } else await add()
}
// progress every 5 s, for a run that does not finish
setInterval(() => {
  const t = client.list()[0]
  if (t)
    say({
      status: t.status,
      progress: Number(t.progress.toFixed(3)),
      peers: t.peers,
      down: t.downloadRate,
      up: t.uploadRate,
    })
}, 5000).unref()
process.stdin.on('data', () => {})
process.stdin.on('end', () => void client.stop().then(() => process.exit(0)))
