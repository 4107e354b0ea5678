// GET /api/sources: every source of the registry with its configuration state and health, and
// GET /api/stats: per-source success rate, download time and failures over time.
import type { FastifyInstance } from 'fastify';
import { SOURCE_CHECK_STATUSES, type JobSourceName, type SourceId } from '../../core/types.ts';
import { checkSources } from '../../jobs/source-check.ts';
import { listSourceHealth } from '../../jobs/source-health.ts';
import { STATS_RANGES, type SourceHealth, type SourceInfo, type StatsRange } from '../../core/source-reports.ts';
import { SOURCES } from '../../sources/index.ts';
import { originOf } from '../../sources/source.ts';
import { FieldError, type RouteDeps } from '../context.ts';
import { commonErrorResponses } from '../schemas/common.ts';
import { buildStats } from '../source-stats.ts';

const nullableNumber = { type: ['number', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

const healthSchema = {
  type: 'object',
  required: ['runs', 'success_rate', 'avg_download_ms', 'last_error', 'cooling_until'],
  properties: {
    runs: { type: 'integer' },
    successes: { type: 'integer' },
    success_rate: nullableNumber,
    avg_download_ms: nullableNumber,
    consecutive_failures: { type: 'integer' },
    last_error: nullableString,
    last_run_at: nullableString,
    cooling_until: nullableString,
    last_check: {
      anyOf: [{ type: 'null' }, { $ref: 'SourceCheck#' }],
      description: 'The latest `sources --check` / POST /api/sources/check of the source, or null',
    },
  },
} as const;

export const sourceCheckSchema = {
  $id: 'SourceCheck',
  type: 'object',
  required: ['id', 'status', 'found', 'duration_ms', 'detail', 'checked_at'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: [...SOURCE_CHECK_STATUSES] },
    found: { type: 'integer', description: 'Items the search yielded' },
    duration_ms: { type: 'integer' },
    detail: { type: 'string', description: 'The evidence: the first items found, or what was expected and what came' },
    checked_at: { type: 'string' },
  },
} as const;

const sourceSchema = {
  type: 'object',
  required: ['id', 'name', 'kinds', 'key_variable', 'configured', 'state', 'origin', 'health'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kinds: { type: 'array', items: { type: 'string', enum: ['image', 'video'] } },
    example: { type: 'string' },
    key_variable: { ...nullableString, description: 'The variable holding its key, if it takes one' },
    configured: { type: 'boolean' },
    reason: { ...nullableString, description: 'Why it cannot run, when not configured' },
    state: {
      type: 'string',
      enum: ['ready', 'needs_key', 'cooling_down'],
      description: 'What a job would do with it now',
    },
    origin: { type: 'string', description: 'Where it sends requests (<ID>_BASE_URL or the real origin)' },
    origin_overridden: { type: 'boolean' },
    health: healthSchema,
  },
} as const;

const bucketProperties = {
  runs: { type: 'integer' },
  successes: { type: 'integer' },
  failures: { type: 'integer' },
  success_rate: nullableNumber,
  downloaded: { type: 'integer' },
  avg_download_ms: nullableNumber,
} as const;

export async function sourceRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { config, store } = deps;

  app.get(
    '/api/sources',
    {
      schema: {
        summary: 'Every source, its configuration and health',
        tags: ['sources'],
        response: {
          200: {
            type: 'object',
            required: ['sources', 'demo'],
            properties: { sources: { type: 'array', items: sourceSchema }, demo: { type: 'boolean' } },
          },
          ...commonErrorResponses,
        },
      },
    },
    async () => {
      const health = new Map<string, SourceHealth>((await listSourceHealth(store.health)).map((h) => [h.source, h]));
      const now = deps.now().getTime();
      const sources = deps.sources.map((source): SourceInfo => {
        const configured = source.configured(config);
        const h = health.get(source.id);
        const coolingUntil = h?.cooling_until ?? null;
        const cooling = coolingUntil !== null && Date.parse(coolingUntil) > now;
        return {
          id: source.id,
          name: source.displayName,
          kinds: [...source.kinds],
          example: source.example,
          key_variable: source.keyVariable ?? null,
          configured: configured.ok,
          reason: configured.ok ? null : configured.reason,
          state: !configured.ok ? 'needs_key' : cooling ? 'cooling_down' : 'ready',
          origin: originOf(source, config),
          origin_overridden: config.baseUrls[source.id] !== undefined,
          health: {
            runs: h?.runs ?? 0,
            successes: h?.successes ?? 0,
            success_rate: h?.success_rate ?? null,
            avg_download_ms: h?.avg_download_ms ?? null,
            consecutive_failures: h?.consecutive_failures ?? 0,
            last_error: h?.last_error ?? null,
            last_run_at: h?.last_run_at ?? null,
            cooling_until: cooling ? coolingUntil : null,
            last_check: h?.last_check ?? null,
          },
        };
      });
      return { sources, demo: deps.demo };
    },
  );

  app.post<{ Querystring: { sources?: string } }>(
    '/api/sources/check',
    {
      schema: {
        summary: 'Check the sources now: one small real search each',
        description:
          "Runs each source's example query for one page, with the same deadlines, guard and proxy as a job, " +
          'records the result in source health and answers it: ok, layout_changed, blocked, unreachable or not_configured.',
        tags: ['sources'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sources: {
              type: 'string',
              pattern: '^[a-z_]+(,[a-z_]+)*$',
              description: 'Only these sources (comma-separated ids)',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['checks'],
            properties: { checks: { type: 'array', items: { $ref: 'SourceCheck#' } } },
          },
          ...commonErrorResponses,
        },
      },
    },
    async (request) => {
      const offered = deps.sources.map((s) => s.id);
      const wanted = request.query.sources?.split(',') ?? offered;
      const unknown = wanted.filter((id) => !(offered as string[]).includes(id));
      if (unknown.length > 0)
        throw new FieldError(
          'sources',
          `unknown or not offered: ${unknown.join(', ')} (offered: ${offered.join(', ')})`,
        );
      const checks = await checkSources({ config, http: deps.http, store, ids: wanted as SourceId[], now: deps.now });
      return { checks };
    },
  );

  app.get<{ Querystring: { range?: StatsRange; source?: JobSourceName } }>(
    '/api/stats',
    {
      schema: {
        summary: 'Per-source success rate, average download time and failures over time',
        description: 'From the recorded outcome of every source run, in equal buckets over the range.',
        tags: ['sources'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            range: { type: 'string', enum: Object.keys(STATS_RANGES), description: 'Time window (default 24h)' },
            source: {
              type: 'string',
              enum: [...SOURCES.map((s): string => s.id), 'urls'],
              description: 'Only this source',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['range', 'from', 'to', 'bucket_ms', 'sources'],
            properties: {
              range: { type: 'string' },
              from: { type: 'string' },
              to: { type: 'string' },
              bucket_ms: { type: 'integer' },
              sources: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['source', 'runs', 'success_rate', 'avg_download_ms', 'failures', 'buckets'],
                  properties: {
                    source: { type: 'string' },
                    ...bucketProperties,
                    last_error: nullableString,
                    buckets: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['start', 'runs'],
                        properties: { start: { type: 'string' }, ...bucketProperties },
                      },
                    },
                  },
                },
              },
            },
          },
          ...commonErrorResponses,
        },
      },
    },
    async (request) => {
      const range = request.query.range ?? '24h';
      const now = deps.now();
      const since = new Date(now.getTime() - STATS_RANGES[range].spanMs - STATS_RANGES[range].bucketMs);
      const outcomes = await store.health.listOutcomes({
        since,
        ...(request.query.source ? { source: request.query.source } : {}),
      });
      return buildStats(
        outcomes,
        range,
        now,
        deps.sources.map((s) => s.id),
      );
    },
  );
}
