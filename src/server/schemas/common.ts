// JSON Schemas shared by several routes. Query strings and path parameters arrive as strings and
// type coercion is off (see app.ts), so numbers in them are validated by pattern and parsed
// explicitly by the handler; bodies are validated with their real JSON types.

/** Every error answer of the API. */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['statusCode', 'error', 'code', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string', description: 'HTTP reason phrase' },
    code: { type: 'string', description: 'Stable machine-readable code, e.g. VALIDATION, NOT_FOUND, UNAUTHORIZED' },
    message: { type: 'string' },
    field: { type: 'string', description: 'The request field the error is about (validation errors)' },
  },
} as const;

export const errorRef = { $ref: 'Error#' } as const;

/** 4xx/5xx answers shared by every route. */
export const commonErrorResponses = {
  400: errorRef,
  401: errorRef,
  429: errorRef,
  500: errorRef,
} as const;

/** A job id as the runner makes them (a UUID or similar); anything else cannot exist. */
export const jobIdPattern = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';

export const jobIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: jobIdPattern, description: 'Job id' } },
} as const;

/** A non-negative integer written in a query string or path, without sign or leading zeros. */
export function integerString(description: string, maxDigits = 9): { type: 'string'; pattern: string; description: string } {
  return { type: 'string', pattern: `^(0|[1-9][0-9]{0,${maxDigits - 1}})$`, description };
}

/** `?access_token=` for the routes a browser opens without headers (EventSource, <img>, downloads). */
export const accessTokenProperty = {
  type: 'string',
  maxLength: 512,
  description: 'The API token, for clients that cannot send an Authorization header (EventSource, <img>, links)',
} as const;
