// Turns a schema validation failure into one sentence that names the field and what is wrong
// ("limit: must be an integer from 1 to 500, got \"10\""), so every 400 tells the caller what to fix.

/** The parts of an ajv error we read (ajv's ErrorObject, without depending on its types). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  schema?: unknown;
  parentSchema?: Record<string, unknown>;
  data?: unknown;
}

export interface FieldProblem {
  /** `limit`, `sources[2]`, or the part itself (`body`) when the whole value is wrong. */
  field: string;
  message: string;
}

const PART_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
};

/** `/sources/2` → `sources[2]`. */
function fieldOf(instancePath: string): string {
  let out = '';
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(segment) ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function rangeOf(parent: Record<string, unknown> | undefined): string | null {
  if (!parent) return null;
  const min = parent.minimum;
  const max = parent.maximum;
  if (typeof min === 'number' && typeof max === 'number') return `from ${min} to ${max}`;
  if (typeof min === 'number') return `of at least ${min}`;
  if (typeof max === 'number') return `of at most ${max}`;
  return null;
}

/** The first problem of a failed validation, phrased for a person. */
export function describeValidation(errors: readonly SchemaError[], part: string): FieldProblem {
  const error = errors[0];
  const partName = PART_NAMES[part] ?? part;
  if (!error) return { field: part, message: `invalid ${partName}` };
  let field = fieldOf(error.instancePath);
  const got = 'data' in error ? `, got ${describe(error.data)}` : '';
  const parent = error.parentSchema;
  let message: string;
  switch (error.keyword) {
    case 'additionalProperties':
      field = [field, String(error.params.additionalProperty)].filter(Boolean).join('.');
      message = `unknown field`;
      break;
    case 'required':
      field = [field, String(error.params.missingProperty)].filter(Boolean).join('.');
      message = 'is required';
      break;
    case 'type': {
      const wanted = String(error.params.type);
      const range = wanted === 'integer' ? rangeOf(parent) : null;
      message = `must be ${wanted === 'integer' ? 'an integer' : wanted === 'array' ? 'an array' : `a ${wanted}`}${range ? ` ${range}` : ''}${got}`;
      break;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      message = `must be ${parent?.type === 'integer' ? 'an integer' : 'a number'} ${rangeOf(parent) ?? String(error.message)}${got}`;
      break;
    case 'minLength':
      message =
        Number(error.params.limit) <= 1
          ? 'must not be empty'
          : `must be at least ${String(error.params.limit)} characters`;
      break;
    case 'maxLength':
      message = `must be at most ${String(error.params.limit)} characters${typeof error.data === 'string' ? ` (got ${error.data.length})` : ''}`;
      break;
    case 'minItems':
      message = `must list at least ${String(error.params.limit)} item${error.params.limit === 1 ? '' : 's'}`;
      break;
    case 'maxItems':
      message = `must list at most ${String(error.params.limit)} items`;
      break;
    case 'uniqueItems':
      message = `must not repeat an item (items ${String(error.params.j)} and ${String(error.params.i)} are the same)`;
      break;
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[] | undefined) ?? [];
      message = `must be one of ${allowed.map((v) => String(v)).join(', ')}${got}`;
      break;
    }
    case 'pattern':
      message = describePattern(parent, error.data);
      break;
    default:
      message = error.message ?? 'is invalid';
  }
  const label = field === '' ? partName : field;
  return { field: field === '' ? part : field, message: `${label}: ${message}` };
}

/** Patterns carry their meaning in the schema's description; say it rather than the regex. */
function describePattern(parent: Record<string, unknown> | undefined, data: unknown): string {
  const pattern = typeof parent?.pattern === 'string' ? parent.pattern : '';
  if (pattern === '\\S') return 'must not be blank';
  if (pattern.startsWith('^(0|[1-9]')) return `must be a non-negative integer, got ${describe(data)}`;
  const description = typeof parent?.description === 'string' ? parent.description : null;
  return description
    ? `must be ${description.charAt(0).toLowerCase()}${description.slice(1)}, got ${describe(data)}`
    : `has an invalid format, got ${describe(data)}`;
}
