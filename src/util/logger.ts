import { type Logger, pino } from 'pino'

export type { Logger }

/**
 * Secrets that must never reach a log line. pino replaces these paths wherever they appear in a
 * logged object; code must also never interpolate secrets into messages.
 */
const REDACT = [
  'token',
  'password',
  'cloudKey',
  'secret',
  'authorization',
  'cookie',
  '*.token',
  '*.password',
  '*.cloudKey',
  '*.secret',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
]

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'cloudy',
    level: options.level ?? process.env.CLOUDY_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
  })
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
