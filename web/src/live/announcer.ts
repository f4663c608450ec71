import { useEffect, useState } from 'preact/hooks'

/**
 * Messages for screen readers about what changed without the user asking (a node died, a service
 * appeared): the shell renders the latest one in a polite live region.
 */
const listeners = new Set<(message: string) => void>()

export function announce(message: string): void {
  for (const listener of listeners) listener(message)
}

export function useAnnouncement(): string {
  const [message, setMessage] = useState('')
  useEffect(() => {
    const listener = (text: string) => setMessage(text)
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }, [])
  return message
}
