const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']

/**
 * Resolves on the first SIGINT or SIGTERM, with the reason. Its handlers go at once, so a second
 * signal during the graceful stop that follows ends the process the usual way.
 *
 * With CLOUDY_WATCHDOG=1 (set by test harnesses and `cloudy demo`), it also resolves when standard
 * input closes or the parent process is gone, so a daemon never outlives the program that started it.
 */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined
    const done = (reason: string) => {
      for (const s of STOP_SIGNALS) process.off(s, done)
      clearInterval(timer)
      resolve(reason)
    }
    for (const s of STOP_SIGNALS) process.on(s, done)
    if (process.env.CLOUDY_WATCHDOG === '1') {
      const parent = process.ppid
      process.stdin.on('end', () => done('standard input closed'))
      process.stdin.on('error', () => done('standard input closed'))
      process.stdin.resume()
      timer = setInterval(() => {
        if (process.ppid !== parent) done('parent process gone')
      }, 1000)
      timer.unref()
    }
  })
}
