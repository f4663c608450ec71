/** A usage bar with its numbers in words beside it; the bar and its colour only repeat the text. */
export function Meter({
  label,
  used,
  total,
  text,
}: {
  label: string
  used: number
  total: number
  text: string
}) {
  const ratio = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0
  const tone = ratio > 0.9 ? 'bad' : ratio > 0.75 ? 'warn' : 'good'
  return (
    <div class="meter">
      <div class="meter-label">
        <span>{label}</span>
        <span class="meter-text">{text}</span>
      </div>
      {/* the text above says it all; the bar only shows it */}
      <div class={`meter-track meter-${tone}`} aria-hidden="true">
        <div class="meter-fill" style={{ width: `${(ratio * 100).toFixed(1)}%` }} />
      </div>
    </div>
  )
}
