import type { Member, NodeEvent, Service } from '../api/types.ts'

export type EventCategory = 'member' | 'service' | 'cloud'

export function eventCategory(e: NodeEvent): EventCategory {
  if (e.event.startsWith('member:')) return 'member'
  if (e.event.startsWith('service:')) return 'service'
  return 'cloud'
}

function serviceName(s: Service): string {
  const what = s.description ? `“${s.description}” (${s.type}:${s.port})` : `${s.type}:${s.port}`
  return `${what} on ${s.nodeName}`
}

function member(m: Member): string {
  return m.self ? `${m.name} (this node)` : m.name
}

/** One sentence for one event, as the Events page and the screen-reader announcements say it. */
export function describeEvent(e: NodeEvent): string {
  switch (e.event) {
    case 'member:joined':
      return `${member(e.data)} joined the cloud`
    case 'member:updated':
      return `${member(e.data)} changed its record (name, address, roles or version)`
    case 'member:suspected':
      return `${member(e.data)} stopped answering and is suspected to be down`
    case 'member:recovered':
      return `${member(e.data)} answers again`
    case 'member:died':
      return `${member(e.data)} is dead: it did not answer in time`
    case 'member:left':
      return `${member(e.data)} left the cloud`
    case 'service:published':
      return `Service ${serviceName(e.data)} was published`
    case 'service:updated':
      return `Service ${serviceName(e.data)} was updated`
    case 'service:removed':
      return `Service ${serviceName(e.data)} was withdrawn`
    case 'cloud:created':
      return `This node created the cloud “${e.data.name}”`
    case 'cloud:joined':
      return `This node joined the cloud “${e.data.name}”`
    case 'cloud:left':
      return `This node left the cloud “${e.data.name}”`
    case 'invite:created':
      return `An invite was created (${e.data.id})`
    case 'invite:used':
      return `Invite ${e.data.id} was used${e.data.usedBy ? ` by ${e.data.usedBy}` : ''}`
    case 'invite:revoked':
      return `Invite ${e.data.id} was revoked`
    case 'builtin:enabled':
      return `The built-in service ${e.data.name} was switched on`
    case 'builtin:disabled':
      return `The built-in service ${e.data.name} was switched off`
    case 'share:write-received':
      return `An upload of share ${e.data.shareNumber} of ${e.data.storageIndex} began on this node`
    case 'share:stored':
      return `Share ${e.data.shareNumber} of ${e.data.storageIndex} was stored on this node`
    case 'corruption:reported':
      return `Share ${e.data.shareNumber} of ${e.data.storageIndex} on this node was reported corrupt: ${e.data.reason}`
    case 'torrent:added':
      return `Torrent “${e.data.name}” was added`
    case 'torrent:downloaded':
      return `Torrent “${e.data.name}” finished downloading`
    case 'torrent:paused':
      return `Torrent “${e.data.name}” was paused`
    case 'torrent:resumed':
      return `Torrent “${e.data.name}” was resumed`
    case 'torrent:removed':
      return `Torrent “${e.data.name}” was removed${e.data.deletedData ? ' with its data' : ''}`
    case 'torrent:failed':
      return `Torrent “${e.data.name}” stopped: ${e.data.error ?? 'an error'}`
  }
}

/** Events worth announcing to a screen reader while the user does something else. */
export function isNotable(e: NodeEvent): boolean {
  return (
    e.event !== 'member:updated' &&
    e.event !== 'service:updated' &&
    e.event !== 'share:write-received' &&
    e.event !== 'share:stored'
  )
}
