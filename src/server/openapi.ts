// The OpenAPI 3.1 document of GET /api/openapi.json, built from the schemas the routes are
// registered with, so the document cannot drift from what the server validates. OpenAPI 3.1 uses
// JSON Schema 2020-12, which our draft-07 schemas fit without conversion except for `$ref`s to
// shared schemas (`Error#` → `#/components/schemas/Error`).
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
    description?: string;
    tags?: string[];
    /** Leave the route out of the OpenAPI document (the UI's own pages). */
    hide?: boolean;
  }
}

interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  hide?: boolean;
  params?: JsonSchema;
  querystring?: JsonSchema;
  headers?: JsonSchema;
  body?: JsonSchema;
  response?: Record<string, JsonSchema>;
}
type JsonSchema = Record<string, unknown>;

interface CollectedRoute {
  method: string;
  url: string;
  schema: RouteSchema;
  public: boolean;
}

export interface OpenApiCollector {
  /** Builds the document (call after the app is ready). */
  document(): Record<string, unknown>;
}

/** `Error#` → `#/components/schemas/Error`; every nested schema is rewritten the same way. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$ref' && typeof inner === 'string' && /^[A-Za-z][\w-]*#$/.test(inner)) {
      out.$ref = `#/components/schemas/${inner.slice(0, -1)}`;
    } else if (key !== '$id') {
      out[key] = rewriteRefs(inner);
    }
  }
  return out;
}

function parametersOf(schema: JsonSchema | undefined, where: 'path' | 'query' | 'header'): unknown[] {
  if (!schema || typeof schema.properties !== 'object' || schema.properties === null) return [];
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(schema.properties as Record<string, JsonSchema>).map(([name, property]) => {
    const { description, ...rest } = property;
    const parameter: Record<string, unknown> = {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      schema: rewriteRefs(rest),
    };
    if (typeof description === 'string') parameter.description = description;
    return parameter;
  });
}

function responsesOf(response: Record<string, JsonSchema> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [code, schema] of Object.entries(response ?? {})) {
    const description =
      (typeof schema.description === 'string' && schema.description) || STATUS_CODES[Number(code)] || 'Response';
    if (schema.content && typeof schema.content === 'object') {
      const content: Record<string, unknown> = {};
      for (const [type, entry] of Object.entries(schema.content as Record<string, { schema?: unknown }>)) {
        content[type] = { schema: rewriteRefs(entry.schema ?? {}) };
      }
      out[code] = { description, content };
    } else if (schema.type === 'null') {
      out[code] = { description };
    } else {
      out[code] = { description, content: { 'application/json': { schema: rewriteRefs(schema) } } };
    }
  }
  return out;
}

/** Starts collecting routes; register it before the routes. */
export function collectOpenApi(
  app: FastifyInstance,
  info: { title: string; version: string; description: string; tokenRequired: boolean },
): OpenApiCollector {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as RouteSchema | undefined;
    if (!schema || schema.hide) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({
        method: method.toLowerCase(),
        url: route.url,
        schema,
        public: Boolean(route.config && (route.config as { public?: boolean }).public),
      });
    }
  });

  return {
    document() {
      const paths: Record<string, Record<string, unknown>> = {};
      for (const route of routes) {
        const path = route.url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
        const { schema } = route;
        const operation: Record<string, unknown> = {
          operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
        };
        if (schema.summary) operation.summary = schema.summary;
        if (schema.description) operation.description = schema.description;
        if (schema.tags) operation.tags = schema.tags;
        const parameters = [
          ...parametersOf(schema.params, 'path'),
          ...parametersOf(schema.querystring, 'query'),
          ...parametersOf(schema.headers, 'header'),
        ];
        if (parameters.length > 0) operation.parameters = parameters;
        if (schema.body) {
          operation.requestBody = {
            required: true,
            content: { 'application/json': { schema: rewriteRefs(schema.body) } },
          };
        }
        operation.responses = responsesOf(schema.response);
        if (route.public) operation.security = [{}];
        (paths[path] ??= {})[route.method] = operation;
      }
      const components: Record<string, unknown> = {
        schemas: Object.fromEntries(
          Object.entries(app.getSchemas()).map(([id, schema]) => [id.replace(/#$/, ''), rewriteRefs(schema)]),
        ),
      };
      // The bearer scheme is always declared; without API_TOKEN the server accepts requests
      // without it too (the empty requirement), which is what `security` then says.
      components.securitySchemes = {
        bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKEN of the server' },
      };
      const document: Record<string, unknown> = {
        openapi: '3.1.0',
        info: {
          title: info.title,
          version: info.version,
          description: info.description,
          license: { name: 'MIT', identifier: 'MIT' },
        },
        // Relative: the document is served by the server it describes, under whatever name it was reached.
        servers: [{ url: '/', description: 'This server' }],
        security: info.tokenRequired ? [{ bearer: [] }] : [{}, { bearer: [] }],
        paths,
        components,
      };
      return document;
    },
  };
}
