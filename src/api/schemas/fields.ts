import { z } from 'zod'
import { SERVICE_TYPE_RE } from '../../catalogue/items.ts'
import { CLOUD_NAME_RE } from '../../node/cloud-state.ts'

/** No control characters: what a terminal or a log line could misread. */
const PRINTABLE = /^\P{Cc}*$/u

export const printableText = (max: number) =>
  z.string().max(max).regex(PRINTABLE, 'must not contain control characters')

/** A DNS-SD service type without the underscores (RFC 6335), as the catalogue takes it. */
export const ServiceType = z
  .string()
  .regex(
    SERVICE_TYPE_RE,
    'a service type is 1-63 lower-case letters, digits or hyphens, starting with a letter',
  )
  .describe('service type, e.g. "tahoe-storage": lower-case letters, digits and hyphens, at most 63')

export const Port = z.number().int().min(1).max(65535)

/** A port in a URL path. */
export const PortParam = z
  .string()
  .regex(/^\d{1,5}$/, 'a port is a number from 1 to 65535')
  .transform(Number)
  .pipe(Port)

export const Host = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:%[\]-]+$/, 'a host is a DNS name or an IP address')

export const NodeName = z
  .string()
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,62}$/u,
    'a node name is 1-63 letters, digits, dots, hyphens or underscores',
  )

export const CloudName = z
  .string()
  .trim()
  .regex(CLOUD_NAME_RE, 'a cloud name is 1-63 letters, digits, spaces, dots, hyphens or underscores')

export const BuiltinName = z
  .string()
  .regex(SERVICE_TYPE_RE, 'a built-in service name is lower-case letters, digits and hyphens, e.g. "storage"')

export const ResourceId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'not a valid id')

const TxtKey = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[\x21-\x3c\x3e-\x7e]+$/, 'a txt key is printable ASCII without spaces or "="')

export const TxtRecord = z
  .record(TxtKey, printableText(255))
  .refine((txt) => Object.keys(txt).length <= 32, 'at most 32 txt entries')
  .describe('DNS-SD txt entries: keys up to 63 printable ASCII characters, values up to 255')

/** `txt=k=v`, repeatable, in a query string. */
export const TxtQuery = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .pipe(z.array(z.string().regex(/^[^=]+=/, 'a txt filter is key=value')).max(32))
  .transform((pairs) =>
    Object.fromEntries(
      pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    ),
  )
  .pipe(TxtRecord)

/** Options of a built-in service; the service validates their meaning. */
export const ServiceOptions = z.record(z.string().min(1).max(63), z.unknown())

const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('stable error code (docs/errors.md)'),
      message: z.string().describe('what went wrong and what to do'),
    }),
  })
  .describe('every 4xx and 5xx response')

/** The answer of a 204. */
export const NoContent = z.null().describe('no content')

/** The error responses every route may give, for the OpenAPI document. */
export const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody } as const
