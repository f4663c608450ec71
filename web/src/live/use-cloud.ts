import { useEffect, useState } from 'preact/hooks'
import { type CloudState, cloudStore } from './cloud-store.ts'

/** The shared live picture of the cloud; the component renders again whenever it changes. */
export function useCloud(): CloudState {
  const [state, setState] = useState(cloudStore.state)
  useEffect(() => {
    setState(cloudStore.state)
    return cloudStore.subscribe(() => setState(cloudStore.state))
  }, [])
  return state
}

/** The current time, renewed every `everyMs`: for uptimes and "5 min ago" that move by themselves. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(timer)
  }, [everyMs])
  return now
}
