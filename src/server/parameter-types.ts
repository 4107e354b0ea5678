// Query strings and path parameters arrive as text, yet the schemas (and so the OpenAPI document
// and every client generated from it) type them as what they are: `limit` an integer, `errors` a
// boolean. Before validation, a value whose schema says integer or boolean is read from its one
// canonical spelling (`10`, `-3`, `true`, `false`); anything else (`abc`, `1e3`, `010`, ` 10`,
// a repeated parameter) is left as text, so validation refuses it naming the field ("limit: must
// be an integer from 1 to 200, got \"abc\""). This is not ajv's type coercion, which stays off:
// JSON bodies are never converted.
import type { FastifyInstance, FastifyRequest } from 'fastify';

type Schema = { type?: unknown; properties?: Record<string, Schema> };

const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;

function typesOf(schema: Schema): readonly unknown[] {
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** The value of `text` as `schema` types it, or `text` itself when it is not that type's canonical spelling. */
function readParameter(text: string, schema: Schema): unknown {
  const types = typesOf(schema);
  if (types.includes('integer') && INTEGER_TEXT.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  if (types.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function readAll(values: unknown, schema: Schema | undefined): void {
  if (!schema?.properties || values === null || typeof values !== 'object') return;
  const record = values as Record<string, unknown>;
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = record[name];
    if (typeof value === 'string') record[name] = readParameter(value, property);
  }
}

export function installParameterTypes(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const schema = request.routeOptions.schema as { querystring?: Schema; params?: Schema } | undefined;
    if (!schema) return;
    readAll(request.query, schema.querystring);
    readAll(request.params, schema.params);
  });
}
