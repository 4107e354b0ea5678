// JSON Schemas shared by several routes. Query strings and path parameters are typed as what they
// are (integers, booleans): ../parameter-types.ts reads them from their text before validation;
// bodies are validated with their real JSON types.

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

/** An integer query or path parameter from `minimum` to `maximum`, with its default when it has one. */
export function integerParameter(
  description: string,
  minimum: number,
  maximum: number,
  fallback?: number,
): { type: 'integer'; minimum: number; maximum: number; description: string; default?: number } {
  return { type: 'integer', minimum, maximum, description, ...(fallback !== undefined ? { default: fallback } : {}) };
}

/** `?access_token=` for the routes a browser opens without headers (EventSource, <img>, downloads). */
export const accessTokenProperty = {
  type: 'string',
  maxLength: 512,
  description: 'The API token, for clients that cannot send an Authorization header (EventSource, <img>, links)',
} as const;
