// Job resources: create, list, read, cancel, retry, resume. Handlers are thin: the
// schemas validate, the JobService does the work, errors map to statuses in one place.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { findControlChar } from '../../core/control-chars.ts';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import { jobActionRefusal } from '../../core/job-actions.ts';
import {
  DOCUMENT_FILES_MAX,
  JOB_STATUSES,
  type JobDocument,
  type JobFilters,
  type JobSourceName,
  type MediaType,
} from '../../core/types.ts';
import { commonErrorResponses, errorRef, integerParameter, jobIdParams } from '../schemas/common.ts';
import { createJobBody, jobAcceptedSchema, jobLinks } from '../schemas/job.ts';
import { FieldError, type RouteDeps } from '../context.ts';
import { createJobDocumentCache } from '../job-document-cache.ts';
import { createJobDocumentWriter } from '../job-document-json.ts';

interface CreateJobBody {
  query?: string;
  queries?: string[];
  filters?: JobFilters;
  keep_near_duplicates?: boolean;
  sources?: JobSourceName[];
  limit: number;
  type: MediaType;
}

/** A job's body may carry up to 1000 queries of 200 characters: more room than other routes get. */
export const CREATE_JOB_BODY_LIMIT_BYTES = 1024 * 1024;
const LIST_LIMIT_MAX = 200;
const LIST_LIMIT_DEFAULT = 50;
const LIST_OFFSET_MAX = 1_000_000_000;
const FILES_LIMIT_MAX = 1000;
const FILES_OFFSET_MAX = 1_000_000_000;

function accepted(reply: FastifyReply, doc: JobDocument): FastifyReply {
  const links = jobLinks(doc.job_id);
  return reply.code(202).header('location', links.self).send({ job_id: doc.job_id, status: doc.status, links });
}

export async function jobRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { jobs, config } = deps;
  const cache = createJobDocumentCache({ maxBytes: 64 * 1024 * 1024, maxEntries: 1024 });
  const writer = createJobDocumentWriter();
  const unsubscribe = jobs.subscribe((event) => cache.observe(event));
  app.addHook('onClose', async () => unsubscribe());

  // The actions below look at the job's status and sources only: no file is listed.
  async function mustGet(id: string): Promise<JobDocument> {
    const doc = await jobs.get(id, { files: 0 });
    if (!doc) throw new NotFoundError(`job ${id} not found`);
    return doc;
  }

  app.post<{ Body: CreateJobBody }>(
    '/api/jobs',
    {
      bodyLimit: CREATE_JOB_BODY_LIMIT_BYTES,
      schema: {
        summary: 'Start a job',
        description: 'Validates and queues a job; at most MAX_CONCURRENT_JOBS run at once, the rest wait in order.',
        tags: ['jobs'],
        body: createJobBody,
        response: { 202: jobAcceptedSchema, ...commonErrorResponses, 413: errorRef, 415: errorRef },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const offered = new Set<string>(deps.sources.map((s) => s.id));
      body.sources?.forEach((id, i) => {
        if (!offered.has(id))
          throw new FieldError(
            `sources[${i}]`,
            `${id} is not offered by this server (it offers ${[...offered].join(', ')})`,
          );
      });
      const sources = body.sources ?? deps.sources.filter((s) => s.configured(config).ok).map((s) => s.id);
      if (sources.length === 0)
        throw new FieldError('sources', 'no source is configured here; name the sources to run');
      if (body.query === undefined && body.queries === undefined)
        throw new FieldError('query', 'is required (or give queries)');
      // Before trimming: a query that ends in a newline or a tab carries a control character too.
      const asked: [string, string | undefined][] = [
        ['query', body.query],
        ...(body.queries ?? []).map((q, i): [string, string] => [`queries[${i}]`, q]),
      ];
      for (const [field, text] of asked) {
        const control = text === undefined ? null : findControlChar(text);
        if (control !== null) throw new FieldError(field, `must not contain control characters: found ${control}`);
      }
      const queries = body.queries?.map((q) => q.trim());
      const query = body.query?.trim() ?? queries![0]!;
      if (queries !== undefined && body.query !== undefined && queries[0] !== query) {
        throw new FieldError('query', 'must be the first of queries when both are given');
      }
      const doc = await jobs.submit({
        query,
        ...(queries !== undefined ? { queries } : {}),
        ...(body.filters !== undefined ? { filters: body.filters } : {}),
        ...(body.keep_near_duplicates === true ? { keepNearDuplicates: true } : {}),
        sources,
        limit: body.limit,
        type: body.type,
      });
      return accepted(reply, doc);
    },
  );

  app.get<{ Querystring: { status?: JobDocument['status']; limit: number; offset: number } }>(
    '/api/jobs',
    {
      schema: {
        summary: 'List jobs, newest first',
        tags: ['jobs'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...JOB_STATUSES], description: 'Only jobs with this status' },
            limit: integerParameter('Page size', 1, LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT),
            offset: integerParameter('Jobs to skip', 0, LIST_OFFSET_MAX, 0),
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['jobs', 'limit', 'offset', 'next_offset'],
            properties: {
              jobs: { type: 'array', items: { $ref: 'JobSummary#' } },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
              next_offset: {
                type: ['integer', 'null'],
                description: 'Offset of the next page, or null on the last page',
              },
            },
          },
          ...commonErrorResponses,
        },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      // One more than asked tells whether a next page exists without counting every job.
      const rows = await jobs.list({ status: request.query.status, limit: limit + 1, offset });
      return { jobs: rows.slice(0, limit), limit, offset, next_offset: rows.length > limit ? offset + limit : null };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/jobs/:id',
    {
      schema: {
        summary: 'The job document',
        description:
          'Status, per-source statistics and the first 100 saved files (`results.files_total` counts them all; ' +
          '`GET /api/jobs/{id}/files` pages the rest). While the job runs the document may trail its events by up to 0.1 s ' +
          '(the event stream is the live feed); its start and its end are never late. Supports If-None-Match.',
        tags: ['jobs'],
        params: jobIdParams,
        response: {
          200: { $ref: 'JobDocument#' },
          304: { type: 'null', description: 'Not modified' },
          404: errorRef,
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Written by the writer rather than the response serializer: same JSON, cheaper for big
      // documents (the schema above still documents it; tests compare it with the service's).
      const cached = await cache.get(
        id,
        () => jobs.get(id, { files: DOCUMENT_FILES_MAX }),
        (doc) => writer.write(doc),
      );
      if (!cached) throw new NotFoundError(`job ${id} not found`);
      void reply.header('etag', cached.etag);
      if (request.headers['if-none-match'] === cached.etag) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(cached.body);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { offset: number; limit: number } }>(
    '/api/jobs/:id/files',
    {
      schema: {
        summary: "One page of a job's files",
        description:
          'The entries of `results.files` from `offset`, in the order saved (the job document lists only the first 100). ' +
          'While the job runs, later pages grow.',
        tags: ['jobs'],
        params: jobIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            offset: integerParameter('Files to skip', 0, FILES_OFFSET_MAX, 0),
            limit: integerParameter('Page size', 1, FILES_LIMIT_MAX, DOCUMENT_FILES_MAX),
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['job_id', 'offset', 'limit', 'total', 'next_offset', 'files'],
            properties: {
              job_id: { type: 'string' },
              offset: { type: 'integer' },
              limit: { type: 'integer' },
              total: { type: 'integer', description: 'How many files the job has now' },
              next_offset: {
                type: ['integer', 'null'],
                description: 'Offset of the next page, or null on the last page',
              },
              files: { type: 'array', items: { $ref: 'SavedFile#' } },
            },
          },
          404: errorRef,
          ...commonErrorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { offset, limit } = request.query;
      const page = await jobs.files(id, { offset, limit });
      if (page === null) throw new NotFoundError(`job ${id} not found`);
      const end = offset + page.files.length;
      return {
        job_id: id,
        offset,
        limit,
        total: page.total,
        next_offset: end < page.total ? end : null,
        files: page.files,
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a queued or running job',
        description: 'In-flight work is aborted; files already saved are kept. 409 when the job is not active.',
        tags: ['jobs'],
        params: jobIdParams,
        response: {
          202: {
            type: 'object',
            required: ['job_id', 'status', 'cancelled'],
            properties: {
              job_id: { type: 'string' },
              status: { type: 'string', enum: [...JOB_STATUSES] },
              cancelled: { type: 'boolean' },
            },
          },
          404: errorRef,
          409: errorRef,
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const before = await mustGet(id);
      const cancelled = await jobs.cancel(id);
      if (!cancelled) {
        // Active yet not cancelled here: another process (a CLI) runs it.
        throw new ConflictError(
          jobActionRefusal('cancel', before) ?? `job ${id} is ${before.status} in another process: cancel it there`,
        );
      }
      cache.invalidate(id);
      const after = (await jobs.get(id, { files: 0 })) ?? before;
      return reply.code(202).send({ job_id: id, status: after.status, cancelled: true });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/retry',
    {
      schema: {
        summary: 'Run the failed sources of an ended job again',
        description:
          'Only sources whose error was set run again; files already saved are kept. 409 when the job is active or no source failed.',
        tags: ['jobs'],
        params: jobIdParams,
        response: { 202: jobAcceptedSchema, 404: errorRef, 409: errorRef, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const job = await mustGet(id);
      const refusal = jobActionRefusal('retry', job);
      if (refusal !== null) throw new ConflictError(refusal);
      const doc = await jobs.retry(id);
      cache.invalidate(id);
      return accepted(reply, doc);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/resume',
    {
      schema: {
        summary: 'Resume an interrupted or cancelled job',
        description: 'Sources that had not ended run again; files already saved are kept and not downloaded again.',
        tags: ['jobs'],
        params: jobIdParams,
        response: { 202: jobAcceptedSchema, 404: errorRef, 409: errorRef, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const job = await mustGet(id);
      const refusal = jobActionRefusal('resume', job);
      if (refusal !== null) throw new ConflictError(refusal);
      const doc = await jobs.resume(id);
      cache.invalidate(id);
      return accepted(reply, doc);
    },
  );
}
