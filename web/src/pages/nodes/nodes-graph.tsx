import { useEffect, useRef, useState } from 'preact/hooks'
import type { Member } from '../../api/types.ts'
import { formatRtt } from '../../components/format.ts'
import { memberLabel } from '../../components/status-badge.tsx'

/** The drawing: the others sit on an ellipse around this node, wide on a desktop, tall on a phone. */
interface Shape {
  width: number
  height: number
  cx: number
  cy: number
  rx: number
  ry: number
  /** longest name drawn in full */
  nameMax: number
  /** with an even count, start half a step round (two members sit left and right) */
  evenOffset: boolean
}

const WIDE: Shape = {
  width: 800,
  height: 480,
  cx: 400,
  cy: 240,
  rx: 280,
  ry: 165,
  nameMax: 18,
  evenOffset: true,
}
const TALL: Shape = {
  width: 360,
  height: 560,
  cx: 180,
  cy: 280,
  rx: 115,
  ry: 200,
  nameMax: 12,
  evenOffset: false,
}

interface Placed {
  member: Member
  x: number
  y: number
  angle: number
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** Places this node in the middle and the others on the ellipse, grouped by micro cloud. */
function layout(members: Member[], shape: Shape): { self: Placed | undefined; others: Placed[] } {
  const selfMember = members.find((m) => m.self)
  const rest = members
    .filter((m) => !m.self)
    .sort((a, b) => a.microCloud.localeCompare(b.microCloud) || a.name.localeCompare(b.name))
  const step = (2 * Math.PI) / Math.max(1, rest.length)
  const start = -Math.PI / 2 + (shape.evenOffset && rest.length % 2 === 0 ? step / 2 : 0)
  const others = rest.map((member, i) => {
    const angle = start + step * i
    return {
      member,
      angle,
      x: shape.cx + shape.rx * Math.cos(angle),
      y: shape.cy + shape.ry * Math.sin(angle),
    }
  })
  return { self: selfMember && { member: selfMember, x: shape.cx, y: shape.cy, angle: Math.PI / 2 }, others }
}

function arcPath(shape: Shape, grow: number, from: number, to: number): string {
  const rx = shape.rx + grow
  const ry = shape.ry + grow
  const x1 = shape.cx + rx * Math.cos(from)
  const y1 = shape.cy + ry * Math.sin(from)
  const x2 = shape.cx + rx * Math.cos(to)
  const y2 = shape.cy + ry * Math.sin(to)
  const large = to - from > Math.PI ? 1 : 0
  return `M${x1.toFixed(1)} ${y1.toFixed(1)}A${rx} ${ry} 0 ${large} 1 ${x2.toFixed(1)} ${y2.toFixed(1)}`
}

/** Arcs around the members of each micro cloud, when the cloud has more than one. */
function MicroClouds({ others, shape }: { others: Placed[]; shape: Shape }) {
  const groups = new Map<string, Placed[]>()
  for (const p of others) groups.set(p.member.microCloud, [...(groups.get(p.member.microCloud) ?? []), p])
  if (groups.size < 2) return null
  const step = (2 * Math.PI) / Math.max(1, others.length)
  const grow = 58
  return (
    <g class="g-micro">
      {[...groups.entries()].map(([name, placed]) => {
        const from = (placed[0] as Placed).angle - step * 0.4
        const to = (placed[placed.length - 1] as Placed).angle + step * 0.4
        const mid = (from + to) / 2
        return (
          <g key={name}>
            <path d={arcPath(shape, grow, from, to)} class="g-micro-arc" />
            <text
              x={shape.cx + (shape.rx + grow + 14) * Math.cos(mid)}
              y={shape.cy + (shape.ry + grow + 14) * Math.sin(mid)}
              class="g-micro-label"
            >
              {name}
            </text>
          </g>
        )
      })}
    </g>
  )
}

function describe(m: Member): string {
  if (m.self) return `${m.name}: this node, ${memberLabel(m.status).toLowerCase()}`
  const link =
    m.status === 'alive' || m.status === 'suspect'
      ? `, ${m.relayed ? 'through a relay' : 'direct link'}, round trip ${formatRtt(m.rttMs)}`
      : ''
  return `${m.name}: ${memberLabel(m.status).toLowerCase()}, micro cloud ${m.microCloud}${link}`
}

function NodeMark({ p, shape, self }: { p: Placed; shape: Shape; self?: boolean }) {
  const m = p.member
  const r = self ? 30 : 22
  // labels go on the outer side, away from the links: above for members in the upper half
  const above = !self && Math.sin(p.angle) < -0.2
  const nameY = above ? p.y - r - 26 : p.y + r + 18
  return (
    <g class={`g-node g-${m.status}${self ? ' g-self' : ''}`} data-node={m.name}>
      <title>{describe(m)}</title>
      <circle cx={p.x} cy={p.y} r={r} />
      {m.status === 'dead' && (
        <path class="g-cross" d={`M${p.x - 7} ${p.y - 7}l14 14M${p.x + 7} ${p.y - 7}l-14 14`} />
      )}
      {m.status === 'suspect' && (
        <text x={p.x} y={p.y + 6} class="g-mark">
          ?
        </text>
      )}
      <text x={p.x} y={nameY} class="g-name">
        {truncate(m.name, shape.nameMax)}
      </text>
      <text x={p.x} y={nameY + 16} class="g-status">
        {self ? `this node · ${memberLabel(m.status)}` : memberLabel(m.status)}
      </text>
    </g>
  )
}

function LinkLine({ from, to }: { from: Placed; to: Placed }) {
  const m = to.member
  const down = m.status === 'dead' || m.status === 'left'
  const mx = from.x + (to.x - from.x) * 0.55
  const my = from.y + (to.y - from.y) * 0.55
  const label = down ? '' : m.relayed ? `relay · ${formatRtt(m.rttMs)}` : formatRtt(m.rttMs)
  return (
    <g class={`g-link g-link-${m.status}${m.relayed ? ' g-link-relayed' : ''}`}>
      <line x1={from.x} y1={from.y} x2={to.x} y2={to.y} />
      {label && (
        <g class="g-rtt">
          <rect
            x={mx - label.length * 3.6 - 6}
            y={my - 11}
            width={label.length * 7.2 + 12}
            height={20}
            rx={10}
          />
          <text x={mx} y={my + 4}>
            {label}
          </text>
        </g>
      )}
    </g>
  )
}

/** The width the graph has, to choose the wide or the tall drawing. */
function useWidth(): [{ current: HTMLElement | null }, number] {
  const ref = useRef<HTMLElement>(null)
  const [width, setWidth] = useState(800)
  useEffect(() => {
    const element = ref.current
    if (!element) return
    setWidth(element.clientWidth)
    const observer = new ResizeObserver(() => setWidth(element.clientWidth))
    observer.observe(element)
    return () => observer.disconnect()
  }, [])
  return [ref, width]
}

/**
 * The cloud as this node sees it: itself in the middle, a link to every other member with the
 * round-trip time measured from here (dashed when only a relay reaches it), members grouped by
 * micro cloud. Status is written under every node, not only coloured.
 */
export function NodesGraph({ members }: { members: Member[] }) {
  const [ref, width] = useWidth()
  const shape = width < 560 ? TALL : WIDE
  const { self, others } = layout(members, shape)
  // the drawing is as tall as what it shows, with room for labels (and micro cloud arcs)
  const ys = [shape.cy, ...others.map((p) => p.y)]
  const top = Math.max(0, Math.min(...ys) - 90)
  const height = Math.min(shape.height, Math.max(...ys) + 90) - top
  return (
    <figure class="graph" ref={ref}>
      <svg
        viewBox={`0 ${top} ${shape.width} ${height}`}
        role="img"
        aria-labelledby="graph-title graph-desc"
        class="graph-svg"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id="graph-title">Graph of the cloud's nodes and their links from this node</title>
        <desc id="graph-desc">{members.map(describe).join('. ')}</desc>
        <MicroClouds others={others} shape={shape} />
        {self && others.map((p) => <LinkLine key={p.member.id} from={self} to={p} />)}
        {others.map((p) => (
          <NodeMark key={p.member.id} p={p} shape={shape} />
        ))}
        {self && <NodeMark p={self} shape={shape} self />}
      </svg>
      <figcaption class="legend">
        <span class="legend-item">
          <span class="legend-line legend-direct" aria-hidden="true" /> direct link, round-trip time from this
          node
        </span>
        <span class="legend-item">
          <span class="legend-line legend-relayed" aria-hidden="true" /> reached through a relay
        </span>
        <span class="legend-item">
          <span class="legend-line legend-down" aria-hidden="true" /> dead or left: no link
        </span>
      </figcaption>
    </figure>
  )
}
