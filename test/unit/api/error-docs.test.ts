import { readFile } from 'node:fs/promises'
import { expect, test } from 'vitest'
import { ERROR_CODES } from '../../../src/util/errors.ts'

test('docs/errors.md lists every error code with its HTTP status and exit code', async () => {
  const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` +\| (\d+) +\| (\d+) +\|/gm)].map((m) => [
    m[1],
    Number(m[2]),
    Number(m[3]),
  ])
  const expected = Object.entries(ERROR_CODES).map(([code, { status, exit }]) => [code, status, exit])
  expect(rows).toEqual(expected)
})
