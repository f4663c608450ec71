/** Text that came from other nodes loses its control characters before it reaches a terminal. */
export function clean(text: string): string {
  return text.replace(/\p{Cc}/gu, '?')
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ]
  const shown = parts.filter(([n]) => n > 0).slice(0, 2)
  return shown.length === 0 ? '0s' : shown.map(([n, u]) => `${n}${u}`).join(' ')
}

/** A timestamp as "2026-11-25 14:03" in UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
}

/** Left-aligned columns separated by two spaces; every cell is cleaned. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const cells = [header, ...rows.map((row) => row.map(clean))]
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
  return cells.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}
