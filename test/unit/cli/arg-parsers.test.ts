import { InvalidArgumentError } from 'commander'
import { describe, expect, test } from 'vitest'
import {
  collectOption,
  collectPair,
  parseCount,
  parsePort,
  parseSizeArg,
} from '../../../src/cli/arg-parsers.ts'

describe('k=v arguments', () => {
  test('collect into a record; the value may hold "=" or be empty', () => {
    let txt = collectPair('path=/a=b')
    txt = collectPair('empty=', txt)
    txt = collectPair('path=/c', txt)
    expect(txt).toEqual({ path: '/c', empty: '' })
  })

  test('a pair without key or "=" is refused', () => {
    expect(() => collectPair('novalue')).toThrow(InvalidArgumentError)
    expect(() => collectPair('=value')).toThrow(InvalidArgumentError)
  })

  test('service options type numbers, booleans and null; the rest stays text', () => {
    const options = ['replicas=3', 'ratio=0.5', 'public=true', 'limit=null', 'name=007x', 'path=/srv']
    expect(options.reduce((acc, o) => collectOption(o, acc), {})).toEqual({
      replicas: 3,
      ratio: 0.5,
      public: true,
      limit: null,
      name: '007x',
      path: '/srv',
    })
  })
})

describe('numbers', () => {
  test('ports are 1-65535 (0 allowed for listening)', () => {
    expect(parsePort('8080')).toBe(8080)
    for (const bad of ['0', '65536', '80a', '-1', '', '1e3']) {
      expect(() => parsePort(bad), bad).toThrow(InvalidArgumentError)
    }
    expect(parsePort('0', 0)).toBe(0)
  })

  test('counts and sizes', () => {
    expect(parseCount('5')).toBe(5)
    expect(() => parseCount('0')).toThrow(InvalidArgumentError)
    expect(parseSizeArg('20GiB')).toBe(20 * 1024 ** 3)
    expect(() => parseSizeArg('lots')).toThrow(InvalidArgumentError)
  })
})
