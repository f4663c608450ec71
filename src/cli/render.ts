import type { ServiceView } from '../catalogue/types.ts'
import type { MemberView, NodeResources } from '../membership/types.ts'
import type { BuiltinServiceView, CloudInfo, InviteView, NodeStatus } from '../node/types.ts'
import { clean, formatBytes, formatDuration, formatTable, formatTime } from './format.ts'

// Friendly text for the terminal; `--json` prints the API's answers instead.

const shortId = (id: string) => (id.length > 16 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id)

export function describeCloud(cloud: CloudInfo | null): string {
  return cloud === null
    ? 'none'
    : `${clean(cloud.name)} (id ${cloud.id}, key fingerprint ${cloud.keyFingerprint})`
}

function describeResources(r: NodeResources): string {
  const parts = [
    `${r.cpuCores} cores, load ${r.load1.toFixed(2)}`,
    `memory ${formatBytes(r.memFree)} free of ${formatBytes(r.memTotal)}`,
    `disk ${formatBytes(r.diskFree)} free of ${formatBytes(r.diskTotal)}`,
  ]
  if (r.contributedStorage > 0) parts.push(`contributing ${formatBytes(r.contributedStorage)}`)
  return parts.join('; ')
}

export function renderStatus(s: NodeStatus): string[] {
  const m = s.members
  return formatTable(
    ['node', `${s.name} (${s.id})`],
    [
      ['version', s.version],
      ['cloud', describeCloud(s.cloud)],
      ['members', `${m.alive} alive, ${m.suspect} suspect, ${m.dead} dead, ${m.left} left`],
      ['services', String(s.services)],
      ['API', s.apiUrl],
      ['overlay', s.p2pAddrs.join(' ') || '-'],
      ['micro cloud', s.microCloud],
      ['uptime', formatDuration(s.uptimeMs)],
      ['resources', describeResources(s.resources)],
    ],
  )
}

export function renderMembers(members: MemberView[]): string[] {
  const rows = members.map((m) => [
    `${m.self ? '*' : ' '}${m.name}`,
    shortId(m.id),
    m.status + (m.relayed ? ' (relayed)' : ''),
    m.host,
    m.rttMs === null ? '-' : `${m.rttMs.toFixed(1)} ms`,
    `${m.resources.cpuCores}/${m.resources.load1.toFixed(2)}`,
    formatBytes(m.resources.memFree),
    formatBytes(m.resources.diskFree),
    formatDuration(m.uptimeMs),
    m.version,
  ])
  return formatTable(
    [' NAME', 'ID', 'STATUS', 'HOST', 'RTT', 'CPU/LOAD', 'MEM FREE', 'DISK FREE', 'UPTIME', 'VERSION'],
    rows,
  )
}

const describeTxt = (txt: Record<string, string>) =>
  Object.entries(txt)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')

function describeQuality(s: ServiceView): string {
  if (s.quality === undefined) return '-'
  return s.quality.reachable ? `${s.quality.connectMs?.toFixed(1) ?? '?'} ms` : 'unreachable'
}

export function renderServices(services: ServiceView[], scanned: boolean): string[] {
  if (services.length === 0) return ['no services found']
  const header = ['TYPE', 'PORT', 'HOST', 'NODE', ...(scanned ? ['REACH'] : []), 'DESCRIPTION', 'TXT']
  const rows = services.map((s) => [
    s.type,
    String(s.port),
    s.host,
    s.nodeName + (s.local ? ' (this node)' : ''),
    ...(scanned ? [describeQuality(s)] : []),
    s.description,
    describeTxt(s.txt),
  ])
  return formatTable(header, rows)
}

export function renderBuiltins(services: BuiltinServiceView[]): string[] {
  if (services.length === 0) return ['no built-in services']
  const rows = services.map((s) => [
    s.name,
    s.enabled ? 'yes' : 'no',
    s.running ? 'yes' : 'no',
    s.description,
    Object.keys(s.options).length === 0 ? '-' : JSON.stringify(s.options),
  ])
  return formatTable(['NAME', 'ENABLED', 'RUNNING', 'DESCRIPTION', 'OPTIONS'], rows)
}

export function renderInvites(invites: InviteView[]): string[] {
  if (invites.length === 0) return ['no invites']
  const rows = invites.map((i) => [
    i.id,
    i.state,
    formatTime(i.createdAt),
    formatTime(i.expiresAt),
    i.usedBy ?? '-',
  ])
  return formatTable(['ID', 'STATE', 'CREATED (UTC)', 'EXPIRES (UTC)', 'USED BY'], rows)
}
