import { z } from 'zod'

/** No control characters: what a terminal or a log line could misread. */
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/u
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/

export const printableText = (max: number) =>
  z.string().max(max).regex(PRINTABLE, 'must not contain control characters')

/** A DNS-SD service type without the underscores: letters, digits and inner hyphens, at most 63. */
export const ServiceType = z
  .string()
  .regex(DNS_LABEL, 'a service type has 1-63 letters, digits or inner hyphens')
  .describe('service type, e.g. "tahoe-storage" (letters, digits, inner hyphens; at most 63)')

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
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, 'a node name has 1-63 letters, digits, ".", "_" or "-"')

export const CloudName = printableText(63).min(1)

export const BuiltinName = z.string().regex(DNS_LABEL, 'a built-in service name has 1-63 letters, digits or hyphens')

export const ResourceId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'not a valid id')

export const TxtKey = z
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
  .transform((pairs) => Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])))
  .pipe(TxtRecord)

/** Options of a built-in service; the service validates their meaning. */
export const ServiceOptions = z.record(z.string().min(1).max(63), z.unknown())

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('stable error code (docs/errors.md)'),
      message: z.string().describe('what went wrong and what to do'),
    }),
  })
  .describe('every 4xx and 5xx response')

/** The error responses every route may give, for the OpenAPI document. */
export const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody } as const
