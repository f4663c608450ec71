import type { SwaggerTransform } from '@fastify/swagger'
import type {
  FastifySchema,
  FastifySchemaCompiler,
  FastifySerializerCompiler,
  FastifyTypeProvider,
} from 'fastify'
import { z } from 'zod'
import { CloudyError } from '../util/errors.ts'

/**
 * Route schemas are zod schemas: one definition validates the input, types the handler and (turned
 * into JSON Schema) documents the route in the OpenAPI document.
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown
}

const MAX_REPORTED_ISSUES = 3

function describeIssues(part: string, error: z.ZodError): string {
  const issues = error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => {
    const path = [part, ...issue.path.map(String)].join('.')
    return `${path}: ${issue.message}`
  })
  const more = error.issues.length - MAX_REPORTED_ISSUES
  return more > 0 ? `${issues.join('; ')} (and ${more} more)` : issues.join('; ')
}

/** Validates a request part with its zod schema; a failure is an INVALID_INPUT error naming the field. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data: unknown) => {
    // fastify hands an absent body over as null
    const result = schema.safeParse(data ?? undefined)
    if (result.success) return { value: result.data }
    return { error: new CloudyError('INVALID_INPUT', describeIssues(httpPart ?? 'input', result.error)) }
  }

/** Responses are plain JSON: their schemas document the API and type the handlers, nothing more. */
export const jsonSerializerCompiler: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data)

const REQUEST_PARTS = ['body', 'querystring', 'params', 'headers'] as const

/** JSON Schema of what a client sends, or (for responses, serialised as given) what a handler returns. */
function toOpenApi(schema: unknown): unknown {
  if (!(schema instanceof z.ZodType)) return schema
  // @fastify/swagger documents a response without content when its schema has type "null"
  if (schema instanceof z.ZodNull) return { type: 'null', description: schema.description }
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'openapi-3.0',
    unrepresentable: 'any',
  })
  return json
}

/** @fastify/swagger `transform`: turns the zod schemas of a route into OpenAPI 3.0 schemas. */
export const zodToOpenApi: SwaggerTransform = ({ schema, url }) => {
  if (schema === undefined) return { schema, url }
  const transformed: FastifySchema = { ...schema }
  for (const part of REQUEST_PARTS) {
    if (schema[part] !== undefined) transformed[part] = toOpenApi(schema[part])
  }
  const response = schema.response as Record<string, unknown> | undefined
  if (response !== undefined) {
    transformed.response = Object.fromEntries(
      Object.entries(response).map(([status, body]) => [status, toOpenApi(body)]),
    )
  }
  return { schema: transformed, url }
}
