import { randomBytes } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../util/atomic-file.ts'
import { CloudyError } from '../../util/errors.ts'
import { base32Encode } from '../util/base32.ts'
import { isSwissnum } from './nurl.ts'

/**
 * The swissnum is the shared secret in the NURL that authorizes every request (like Tahoe's: 20
 * random bytes in base32). Kept in `private/swissnum`; never log it.
 */
export async function loadOrCreateSwissnum(directory: string): Promise<string> {
  const file = join(directory, 'private', 'swissnum')
  try {
    const text = (await readFile(file, 'utf8')).trim()
    if (!isSwissnum(text)) throw new CloudyError('INVALID_INPUT', `${file} does not hold a swissnum`)
    return text
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const swissnum = base32Encode(randomBytes(20))
  await mkdir(join(directory, 'private'), { recursive: true, mode: 0o700 })
  await writeFileAtomic(file, `${swissnum}\n`, 0o600)
  return swissnum
}
