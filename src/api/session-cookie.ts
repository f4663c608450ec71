/** The browser session cookie: HttpOnly, SameSite=Strict, for the whole origin. */
export const SESSION_COOKIE = 'cloudy_session'

const ATTRIBUTES = 'Path=/; HttpOnly; SameSite=Strict'

export function readSessionCookie(header: string | undefined): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined
  }
  return undefined
}

export function sessionCookie(id: string, options: { secure: boolean }): string {
  return `${SESSION_COOKIE}=${id}; ${ATTRIBUTES}${options.secure ? '; Secure' : ''}`
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; ${ATTRIBUTES}; Max-Age=0`
}
