// The Fastify app: a plugin-style builder that takes its dependencies (config, job
// service, store), so tests build it with real parts of their own choosing. Routes live in
// ./routes/, one module per resource; every route has request and response schemas.
//
// Validation is strict on purpose: ajv's `removeAdditional` and `coerceTypes` are
// off, so an unknown field or a wrong type ("10" for 10) is rejected with a 400, never silently
// dropped or converted. Query strings and path parameters are text; those the schema types as
// integers or booleans are read from their canonical spelling first (./parameter-types.ts).
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { join } from 'node:path';
import { DOWNLOAD_LOG_FILE } from '../log/download-log.ts';
import { SOURCES } from '../sources/index.ts';
import { hasValidToken, installAuth, isPublicRoute } from './auth.ts';
import { installRequestOrigin } from './request-origin.ts';
import type { AppDeps, RouteDeps } from './context.ts';
import { errorBody, installErrorHandler } from './error-handler.ts';
import { createMetrics } from './metrics.ts';
import { QUEUE_STATE_TIMEOUT_MS, queueStateWithin, registerQueueMetrics } from '../queue/metrics.ts';
import { collectOpenApi } from './openapi.ts';
import { errorSchema } from './schemas/common.ts';
import {
  filterCountsSchema,
  jobDocumentSchema,
  jobSummarySchema,
  queryStatsSchema,
  savedFileSchema,
  sourceStatsSchema,
} from './schemas/job.ts';
import { sourceCheckSchema } from './routes/sources.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { installParameterTypes } from './parameter-types.ts';
import { jobRoutes } from './routes/jobs.ts';
import { jobEventRoutes } from './routes/job-events.ts';
import { jobFileRoutes } from './routes/job-files.ts';
import { jobExportRoutes } from './routes/job-export.ts';
import { logRoutes } from './routes/logs.ts';
import { sourceRoutes } from './routes/sources.ts';
import { systemRoutes } from './routes/system.ts';
import { webRoutes } from './routes/web.ts';

export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 512;
export const DEFAULT_MAX_STREAMS_PER_CLIENT = 16;

export interface App {
  app: FastifyInstance;
  /** Makes /api/health answer 503 (call when shutdown starts). */
  setReady(ready: boolean): void;
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config } = deps;
  const app = Fastify({
    // Request lines stay out of the log (URLs may carry ?access_token=); warnings and errors go in,
    // on stderr (stdout carries only the URL `harvester serve` prints).
    logger: deps.logLevel && deps.logLevel !== 'silent' ? { level: deps.logLevel, stream: process.stderr } : false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // A client that trickles its headers or body (slowloris) is cut off: Node checks these
    // deadlines every connectionsCheckingInterval, so that interval is short.
    requestTimeout: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(
        deps.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
        deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      ),
      requestTimeout: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: 500,
    },
    // `__proto__` / `constructor.prototype` in a body are refused, not silently stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: true,
        allErrors: false,
        // Errors carry the offending value and its schema, for messages that name both.
        verbose: true,
      },
    },
    // Streams of long jobs and keep-alive sockets must not hold `close()` forever.
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  app.server.maxConnections = deps.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  let ready = true;
  const metrics = createMetrics(deps.jobs);
  const queueState = deps.queueState ? queueStateWithin(deps.queueState, QUEUE_STATE_TIMEOUT_MS) : null;
  if (queueState) registerQueueMetrics(metrics.registry, queueState);
  const routeDeps: RouteDeps = {
    config,
    jobs: deps.jobs,
    store: deps.store,
    output: deps.output,
    http: deps.http,
    webRoot: deps.webRoot ?? null,
    logFile: deps.logFile ?? join(config.logDir, DOWNLOAD_LOG_FILE),
    heartbeatMs: deps.heartbeatMs ?? 15_000,
    bodyLimitBytes: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    requestTimeoutMs: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: deps.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    maxConnections: deps.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxStreamsPerClient: deps.maxStreamsPerClient ?? DEFAULT_MAX_STREAMS_PER_CLIENT,
    demo: deps.demo ?? false,
    version: deps.version ?? '0.1.0',
    now: deps.now ?? (() => new Date()),
    queueState,
    metrics,
    isReady: () => ready,
    sources: deps.offeredSources ? SOURCES.filter((s) => deps.offeredSources!.includes(s.id)) : SOURCES,
  };

  // Only JSON bodies: a text/plain body would otherwise reach the schema as a string.
  app.removeContentTypeParser(['text/plain']);
  for (const schema of [
    errorSchema,
    filterCountsSchema,
    queryStatsSchema,
    savedFileSchema,
    sourceStatsSchema,
    jobDocumentSchema,
    jobSummarySchema,
    sourceCheckSchema,
  ]) {
    app.addSchema(schema);
  }
  installErrorHandler(app);
  installSecurityHeaders(app);
  installParameterTypes(app);
  metrics.instrument(app);
  const unsubscribe = deps.jobs.subscribe((event) => metrics.observe(event));
  app.addHook('onClose', async () => unsubscribe());

  installRequestOrigin(app, { host: config.host, allowedHosts: config.allowedHosts });
  if (config.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      // Decided on the matched route (the plugin's hook runs after routing): open routes — the
      // health probe and the UI's own files — are not counted.
      allowList: (request) => isPublicRoute(request),
      // Requests without the right token are counted apart from the token holder's, so a flood
      // of refused requests from the same address cannot lock the token holder out.
      keyGenerator: (request) =>
        `${request.ip}|${config.apiToken !== null && hasValidToken(request, config.apiToken) ? 'token' : 'anonymous'}`,
      errorResponseBuilder: (_request, context) => {
        const body = errorBody(
          429,
          'RATE_LIMITED',
          `rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`,
        );
        return Object.assign(new Error(body.message), body);
      },
    });
  }
  installAuth(app, config.apiToken);
  const openapi = collectOpenApi(app, {
    title: 'Harvester API',
    version: routeDeps.version,
    description: 'Search many image and video sources for one query and download what they find.',
    tokenRequired: config.apiToken !== null,
  });

  await app.register(jobRoutes, routeDeps);
  await app.register(jobEventRoutes, routeDeps);
  await app.register(jobFileRoutes, routeDeps);
  await app.register(jobExportRoutes, routeDeps);
  await app.register(sourceRoutes, routeDeps);
  await app.register(logRoutes, routeDeps);
  await app.register(systemRoutes, { ...routeDeps, openapi });
  await app.register(webRoutes, routeDeps);
  await app.ready();
  return {
    app,
    setReady(value) {
      ready = value;
    },
  };
}
