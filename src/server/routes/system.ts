// Operational routes: readiness, Prometheus metrics and the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../../core/errors.ts';
import type { RouteDeps } from '../context.ts';
import type { OpenApiCollector } from '../openapi.ts';
import { commonErrorResponses, errorRef } from '../schemas/common.ts';

export async function systemRoutes(
  app: FastifyInstance,
  deps: RouteDeps & { openapi: OpenApiCollector },
): Promise<void> {
  const started = Date.now();

  app.get(
    '/api/health',
    {
      // Open even with API_TOKEN, so supervisors can probe without the secret; it tells nothing else.
      config: { public: true },
      schema: {
        summary: 'Readiness',
        description:
          '200 when the server accepts jobs; 503 while it shuts down (or, in the distributed mode, while the store or the queue cannot be reached). Needs no token.',
        tags: ['system'],
        response: {
          200: {
            type: 'object',
            required: ['status', 'version', 'uptime_s'],
            properties: {
              status: { type: 'string', enum: ['ok'] },
              version: { type: 'string' },
              uptime_s: { type: 'number' },
              demo: { type: 'boolean' },
              store: { type: 'string', description: 'Distributed mode: `ok`, or why the store cannot be read' },
              queue: {
                type: 'object',
                description: 'Distributed mode: the cluster queue (Redis) and what waits in it',
                additionalProperties: true,
                properties: {
                  redis: { type: 'string' },
                  jobs: { type: 'object', additionalProperties: { type: 'integer' } },
                  runs: { type: 'object', additionalProperties: { type: 'integer' } },
                },
              },
              workers: {
                type: 'array',
                description: 'Distributed mode: live worker processes and their gauges',
                items: { type: 'object', additionalProperties: true },
              },
            },
          },
          503: errorRef,
          429: errorRef,
        },
      },
    },
    async (_request, reply) => {
      if (!deps.isReady()) {
        return reply.code(503).send({
          statusCode: 503,
          error: 'Service Unavailable',
          code: 'SHUTTING_DOWN',
          message: 'the server is shutting down',
        });
      }
      const health = {
        status: 'ok',
        version: deps.version,
        uptime_s: Math.round((Date.now() - started) / 1000),
        demo: deps.demo,
      };
      if (deps.queueState === null) return health;
      const store = await deps.store.jobs.list({ limit: 1 }).then(
        () => 'ok',
        (error: unknown) => errorMessage(error),
      );
      const { workers, ...queue } = await deps.queueState().catch((error: unknown) => ({
        redis: errorMessage(error),
        workers: [],
      }));
      if (store !== 'ok' || queue.redis !== 'ok') {
        return reply.code(503).send({
          statusCode: 503,
          error: 'Service Unavailable',
          code: 'NOT_READY',
          message: `store: ${store}; queue: ${queue.redis}`,
        });
      }
      return { ...health, store, queue, workers };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Jobs by status, files and bytes saved, source and download durations, HTTP request durations. Needs the token when API_TOKEN is set.',
        tags: ['system'],
        response: {
          200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...commonErrorResponses,
        },
      },
    },
    async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );

  let document: string | null = null;
  app.get(
    '/api/openapi.json',
    {
      schema: {
        summary: 'This API as an OpenAPI 3.1 document',
        description: 'Generated from the schemas the routes validate with.',
        tags: ['system'],
        response: { 200: { type: 'object', additionalProperties: true }, ...commonErrorResponses },
      },
    },
    async (_request, reply) => {
      document ??= JSON.stringify(deps.openapi.document());
      return reply.type('application/json; charset=utf-8').send(document);
    },
  );
}
