import { encode } from 'uqr'

/**
 * A QR code drawn as one SVG path from uqr's module matrix: no HTML string is injected, so the
 * encoded text cannot become markup.
 */
export function QrCode({ text, label, size = 240 }: { text: string; label: string; size?: number }) {
  const qr = encode(text, { ecc: 'M', border: 2 })
  let d = ''
  qr.data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`
    })
  })
  return (
    <svg
      class="qr"
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      shape-rendering="crispEdges"
    >
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  )
}
